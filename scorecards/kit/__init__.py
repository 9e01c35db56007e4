"""The interviewer's pages (DESIGN §3.3): ``views`` (my interviews, the kit, the scorecard
form and its autosave) and ``forms``. The e-mail links that sign an interviewer in to one
interview are ``scorecards.magic_links``, shared with the e-mails that carry them."""
