"""Provisioning with SCIM 2.0 (issue 16, item 2): the company's identity provider creates,
updates and deactivates Loopwise accounts, and puts people in and out of the Recruiters
group, at ``/scim/v2/``.

Written here rather than with django-scim2: that library keeps its ids on the user and group
models (``AbstractSCIMUserMixin``, ``AbstractSCIMGroupMixin``), which would change Django's
own ``Group``, and it signs requests in through the session machinery. Loopwise needs a small,
strict subset: the requests Okta and Entra ID send.

- **Who may call it**: one bearer token, the identity provider's, kept as its SHA-256 in the
  ``SCIM_TOKEN_SHA256`` setting (never in plain text). Anything else is a 401 with SCIM's
  error body; no session or API token opens these endpoints.
- **Users** (``resources.py``): ``userName`` is the username, the primary e-mail the e-mail
  address, ``name.givenName``/``familyName`` the names, ``timezone`` the time zone when it
  is an IANA name, ``active`` whether the person may sign in. Accounts made here have no
  password: they sign in through the identity provider. ``DELETE`` deactivates (the person's
  scorecards stay, attributed to them). Superusers are outside SCIM: not listed, not found,
  never changed, and nothing SCIM sends makes anyone staff or superuser except membership of
  the Recruiters group, which makes them staff (the admin is the recruiters' workplace).
- **Groups**: only those ``SCIM_GROUPS`` names, each mapped to a Loopwise group; hiring
  managers and interviewers are roles of a requisition's staffing, not groups, so the
  identity provider does not grant them.
- **Deactivation takes effect at once**: saving ``is_active=False`` ends the person's
  sessions and revokes their API tokens (``signin.sessions``; reactivating brings no old
  token back), and their e-mail links are refused too (django-sesame refuses an inactive
  user; a grant already in a session is checked against ``is_active`` on every page,
  ``scorecards.magic_links``).
"""
