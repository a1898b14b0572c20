"""Schemathesis hooks for the relay's API fuzzing (scripts/schemathesis).

`POST /v1/ohttp` takes `message/ohttp-req`, opaque bytes: generate and send them as
schemathesis does `application/octet-stream`.
"""

import schemathesis

schemathesis.serializer.alias("message/ohttp-req", "application/octet-stream")
