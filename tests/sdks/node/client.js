// An app's own Twilio code, as it runs against Twilio: nothing here knows about switchboard.
// Creates a phone number, a Messaging Service holding it and a message; fetches and lists them;
// prints what it got as JSON for the test to check.
const twilio = require("twilio");

async function main() {
  const [ours, theirs] = process.argv.slice(2);
  const client = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN);
  const number = await client.incomingPhoneNumbers.create({ phoneNumber: ours });
  const service = await client.messaging.v1.services.create({ friendlyName: "Node hosts" });
  await client.messaging.v1.services(service.sid).phoneNumbers.create({ phoneNumberSid: number.sid });
  const message = await client.messages.create({ to: theirs, messagingServiceSid: service.sid, body: "Hello from Node" });
  const fetched = await client.messages(message.sid).fetch();
  const listed = await client.messages.list({ to: theirs, limit: 20 });
  const services = await client.messaging.v1.services.list({ limit: 20 });
  const fetchedService = await client.messaging.v1.services(service.sid).fetch();
  console.log(JSON.stringify({
    message: message.sid,
    fetched: [fetched.sid, fetched.body],
    listed: listed.map((m) => m.sid),
    service: service.sid,
    services: services.map((s) => s.sid),
    fetched_service: [fetchedService.sid, fetchedService.friendlyName],
    service_url: fetchedService.url,
  }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
