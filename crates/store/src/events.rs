//! The audit trail as stored: one append-only row per request, holding the CloudTrail
//! record as JSON and the columns that lookups filter on.

/// One recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The event's unique ID (`eventID`, a UUID).
    pub event_id: String,
    /// The account that received the request (`recipientAccountId`).
    pub account: String,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub time: i64,
    /// The operation (`eventName`), e.g. `AssumeRole`; empty when the request named none.
    pub name: String,
    /// The service (`eventSource`), e.g. `sts.amazonaws.com`.
    pub source: String,
    /// The user name CloudTrail's LookupEvents reports for the caller, if known.
    pub username: Option<String>,
    /// The access key the request was signed with, if any.
    pub access_key_id: Option<String>,
    /// True for operations that only read.
    pub read_only: bool,
    /// The ARN of the caller (`userIdentity.arn`), if known.
    pub principal_arn: Option<String>,
    /// For a session: the ARN of the role or user that issued it (`sessionIssuer.arn`).
    pub issuer_arn: Option<String>,
    /// The IAM action the request was authorized as (`iam:GetRole`).
    pub action: String,
    /// The resource the request was authorized against, when it named one.
    pub resource_arn: Option<String>,
    /// True when the request passed authentication and authorization (whatever the
    /// operation answered afterwards).
    pub authorized: bool,
    /// The error code, when the request failed.
    pub error_code: Option<String>,
    /// The resources LookupEvents lists: (type, name) pairs such as
    /// (`AWS::IAM::Role`, `arn:aws:iam::123456789012:role/Admin`).
    pub resources: Vec<(String, String)>,
    /// The CloudTrail record, as JSON text.
    pub body: String,
}

/// What a lookup attribute compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventAttribute {
    /// `eventID`.
    EventId,
    /// `eventName`.
    EventName,
    /// `eventSource`.
    EventSource,
    /// The user name LookupEvents reports.
    Username,
    /// The access key ID.
    AccessKeyId,
    /// `readOnly` (`true` or `false`).
    ReadOnly,
    /// The name of one of the event's resources.
    ResourceName,
    /// The type of one of the event's resources.
    ResourceType,
    /// The caller's ARN, or the ARN of the role or user that issued its session.
    Principal,
}

/// A selection of events, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events of this account.
    pub account: String,
    /// Only events at or after this time (milliseconds since the Unix epoch).
    pub start: Option<i64>,
    /// Only events at or before this time (milliseconds since the Unix epoch).
    pub end: Option<i64>,
    /// Only events for which every attribute has this value.
    pub attributes: Vec<(EventAttribute, String)>,
    /// Only events stored before this position (the cursor of the previous page).
    pub before: Option<i64>,
    /// At most this many events (`0`: no limit).
    pub limit: usize,
}

/// An event and its position in the trail (its order of commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The position: larger is later; a page's last position is the next page's cursor.
    pub position: i64,
    /// The event.
    pub event: EventRecord,
}
