"""Every Twilio error code switchboard emits, with its message, HTTP status and docs link.

REST errors are raised as :class:`TwilioError` and rendered by the API edge as Twilio's JSON
(``code``, ``message``, ``more_info``, ``status``). Webhook and delivery codes (11xxx, 12xxx,
14xxx, 30xxx) are recorded on attempts and messages; their ``status`` is informational.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

MORE_INFO_BASE: Final = "https://www.twilio.com/docs/errors/"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: int
    message: str
    http_status: int

    @property
    def more_info(self) -> str:
        return f"{MORE_INFO_BASE}{self.code}"


def _catalogue(*specs: ErrorSpec) -> MappingProxyType[int, ErrorSpec]:
    return MappingProxyType({spec.code: spec for spec in specs})


E = ErrorSpec
CATALOGUE: Final = _catalogue(
    # Webhook transport (recorded on attempts, never returned by the REST API).
    E(11100, "Invalid URL format", 400),
    E(11200, "HTTP retrieval failure", 502),
    E(11201, "TCP connection timed out", 502),
    E(11202, "TCP connection refused", 502),
    E(11203, "HTTP communication total time out triggered", 502),
    E(11205, "HTTP connection failure", 502),
    E(11206, "HTTP protocol violation", 502),
    E(11210, "HTTP bad host name", 502),
    E(11215, "HTTP too many redirects", 502),
    E(11216, "HTTP invalid redirect", 502),
    E(11217, "HTTP error response code", 502),
    E(11220, "SSL/TLS handshake error", 502),
    E(11240, "Invalid edge location specified", 400),
    E(11243, "Invalid retry policy specified", 400),
    E(11321, "Incoming message webhook URL is malformed", 400),
    E(11322, "Invalid webhook method", 400),
    E(11750, "TwiML response body too large", 502),
    E(11770, "Empty HTTP response body", 502),
    # TwiML document problems.
    E(12100, "Document parse failure", 502),
    E(12101, "Invalid TwiML version", 502),
    E(12102, "Invalid root element", 502),
    E(12200, "Schema validation warning", 502),
    E(12300, "Invalid Content-Type", 502),
    E(12400, "Internal failure", 500),
    # <Message> verb problems.
    E(14101, "Invalid 'To' attribute", 400),
    E(14102, "Invalid 'From' attribute", 400),
    E(14103, "Invalid Body", 400),
    E(14104, "Invalid Method attribute", 400),
    E(14105, "Invalid statusCallback attribute", 400),
    E(14106, "Document retrieval limit reached", 400),
    E(14107, "SMS send rate limit exceeded", 400),
    E(14108, "From phone number not SMS capable", 400),
    E(14109, "Reply message limit exceeded", 400),
    E(14110, "Invalid verb for SMS reply", 400),
    # Account status.
    E(10001, "Account is not active", 403),
    # REST platform.
    E(20001, "Unknown parameter", 400),
    E(20003, "Authenticate", 401),
    E(20004, "Method not allowed", 405),
    E(20005, "Account not active", 403),
    E(20007, "Page size too large", 400),
    E(20008, "Cannot access this resource with Test Credentials", 403),
    E(20009, "Cannot delete this resource before it is complete", 409),
    E(20403, "Forbidden", 403),
    E(20404, "The requested resource was not found", 404),
    # switchboard's own (Twilio's catalogue has no such case): a /_sim search with Wait found
    # nothing in time. Numbered like 20403/20404/20429 after its HTTP status.
    E(20408, "Nothing matched before the wait ended", 408),
    E(20429, "Too many requests", 429),
    E(21000, "Malformed request", 400),
    E(20500, "Internal server error", 500),
    E(20503, "Service unavailable", 503),
    # Message creation.
    E(21211, "Invalid 'To' Phone Number", 400),
    E(21212, "Invalid 'From' Phone Number", 400),
    E(21218, "Invalid ApplicationSid", 400),
    E(21401, "Invalid Phone Number", 400),
    E(21403, "Invalid Method", 400),
    E(
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the"
        " 'To' number",
        400,
    ),
    E(21421, "PhoneNumber is invalid", 400),
    E(21422, "PhoneNumber is not available", 400),
    E(21452, "No numbers found", 400),
    E(21476, "Unable to update Status for subaccount, parent account is suspended", 400),
    E(
        21479,
        "Unable to update Status for subaccount, subaccount has been closed and can not be"
        " re-opened",
        400,
    ),
    E(21481, "Invalid page token", 400),
    E(21602, "Message body is required.", 400),
    E(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.", 400),
    E(21604, "A 'To' phone number is required.", 400),
    E(
        21606,
        "The 'From' phone number provided is not a valid message-capable phone number"
        " for this destination.",
        400,
    ),
    E(21609, "Invalid StatusCallback url", 400),
    E(21610, "Attempt to send to unsubscribed recipient", 400),
    E(21611, "This 'From' number has exceeded the maximum number of queued messages", 400),
    E(21612, "The 'To' phone number is not currently reachable via SMS.", 400),
    E(21614, "'To' number is not a valid mobile number", 400),
    E(21617, "The concatenated message body exceeds the 1600 character limit.", 400),
    E(21619, "A text message body, media URL or content SID is required.", 400),
    E(21620, "Invalid media URL(s)", 400),
    E(21623, "Number of media files exceeds allowed limit", 400),
    E(21624, "Invalid validity period value", 400),
    # Content templates (SPEC §16.5).
    E(21654, "ContentSid Required", 400),
    E(21655, "The ContentSid is Invalid", 400),
    E(21656, "The ContentVariables Parameter is invalid", 400),
    # RCS fallback (SPEC §18.1; titles from Twilio's error pages).
    E(21664, "'FallbackFrom' cannot be used with a 'From' sender", 400),
    E(21665, "Invalid 'FallbackFrom' sender", 400),
    E(21666, "'FallbackFrom' requires MessagingServiceSid", 400),
    E(21667, "'FallbackFrom' requires the Messaging Service to have an RCS Sender", 400),
    E(21701, "The Messaging Service does not exist", 404),
    E(21703, "The Messaging Service does not have a phone number available to send a message", 400),
    E(21710, "The Phone Number is already in the Messaging Service", 409),
    E(21712, "The Phone Number is associated with another Messaging Service", 409),
    # Delivery outcomes (Message.error_code, status callbacks).
    E(30001, "Queue overflow", 400),
    E(30002, "Account suspended", 400),
    E(30003, "Unreachable destination handset", 400),
    E(30004, "Message blocked", 400),
    E(30005, "Unknown destination handset", 400),
    E(30006, "Landline or unreachable carrier", 400),
    E(30007, "Message filtered", 400),
    E(30008, "Unknown error", 400),
    E(30009, "Missing inbound segment", 400),
    E(30010, "Message price exceeds max price", 400),
    E(30034, "Message from an unregistered number", 400),
    E(30036, "Validity period expired", 400),
    E(30409, "This message cannot be canceled", 400),
    # Event Streams deliveries (recorded on ``event`` attempts, SPEC §19.2).
    E(91300, "Event Streams: the Sink could not be reached", 502),
    E(91308, "Event Streams: the Sink did not respond in time", 502),
    # WhatsApp (SPEC §17, §16.5): recorded on the message, never returned by the REST API.
    E(63016, "Outside messaging window. For WhatsApp, use a Message Template instead", 400),
    E(63027, "Template does not exist for a language and locale", 400),
    E(63028, "Number of parameters provided does not match the expected number of parameters", 400),
    # Scheduling.
    E(35111, "Invalid ScheduleType", 400),
    E(35114, "Scheduling does not support this timestamp", 400),
    E(35115, "SendAt value is outside the allowable range", 400),
    E(35118, "MessagingServiceSid is required to schedule a message", 400),
    E(35127, "Body and ContentVariables cannot be sent together", 400),
)


class TwilioError(Exception):
    """A Twilio-coded failure. ``message`` overrides the catalogue's default wording."""

    def __init__(self, code: int, message: str | None = None, *, http_status: int | None = None):
        spec = CATALOGUE[code]
        self.code = code
        self.message = message if message is not None else spec.message
        self.http_status = http_status if http_status is not None else spec.http_status
        super().__init__(f"{code}: {self.message}")

    @property
    def more_info(self) -> str:
        return f"{MORE_INFO_BASE}{self.code}"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info,
            "status": self.http_status,
        }


class NotFound(TwilioError):
    """20404. The API edge words the message with the request path, as Twilio does."""

    def __init__(self) -> None:
        super().__init__(20404)


def describe(code: int) -> ErrorSpec:
    """The catalogue entry for ``code``; KeyError for a code switchboard never emits."""
    return CATALOGUE[code]
