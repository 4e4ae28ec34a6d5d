"""The learner's side of issuing: claim links, and e-mailing them once a credential is anchored.

- `claims`: claim tokens (`/claim/<token>`): long, random, stored hashed, expiring;
- `records`: each credential's delivery row (the sealed address, its state, retries);
- `mail_settings`: SMTP settings from the environment or a TOML file;
- `transport`: sending one message (SMTP with smtplib, or the development mailbox folder);
- `message`: the e-mail itself (no personal data beyond the recipient's own name);
- `sender`: the delivery worker (its own thread, rate-limited, retries with back-off);
- `desk`: `Delivery`, the use cases the web layer and the CLI call.
"""
