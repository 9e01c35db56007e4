"""What must happen after a commit, delivered reliably (DESIGN §5): ``outbox`` (events recorded
with the change, dispatched by a task), ``background`` (after-commit nudges, retries,
backoff), ``notifications`` (e-mails as rows with a due time, sent once) and ``webhooks``
(signed deliveries to integrations), with their admin pages. Their models are in
``hiring.models.delivery``."""
