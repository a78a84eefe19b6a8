"""An app's own Twilio code, as it runs against Twilio: nothing here knows about switchboard.

Creates a phone number, a Messaging Service holding it, a message; fetches and lists them;
prints what it got as JSON for the test to check.
"""

import json
import os
import sys

from twilio.rest import Client

ours, theirs = sys.argv[1], sys.argv[2]
client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])

number = client.incoming_phone_numbers.create(phone_number=ours)
service = client.messaging.v1.services.create(friendly_name="Twilio hosts")
service.phone_numbers.create(phone_number_sid=number.sid)
message = client.messages.create(to=theirs, messaging_service_sid=service.sid, body="Hello")
fetched = client.messages(message.sid).fetch()
listed = client.messages.list(to=theirs, limit=20)
services = client.messaging.v1.services.list(limit=20)
fetched_service = client.messaging.v1.services(service.sid).fetch()
print(
    json.dumps(
        {
            "message": message.sid,
            "fetched": [fetched.sid, fetched.body],
            "listed": [m.sid for m in listed],
            "service": service.sid,
            "services": [s.sid for s in services],
            "fetched_service": [fetched_service.sid, fetched_service.friendly_name],
            "service_url": fetched_service.url,
        }
    )
)
