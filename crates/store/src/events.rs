//! The audit trail as stored: each request's CloudTrail record as JSON with the columns
//! that lookups filter on, written as one line ([`EventRecord::line`]), appended in
//! batches ([`EventBatch`]) and never changed.

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

/// Events appended together: their lines ([`EventRecord::line`]) one after the other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBatch {
    /// The events' lines, each ending in a newline, oldest first.
    pub lines: Vec<u8>,
    /// How many events the lines hold.
    pub count: usize,
    /// The earliest event time in the batch (milliseconds since the Unix epoch).
    pub first_time: i64,
    /// The latest event time in the batch.
    pub last_time: i64,
    /// Where the batch ends in the writer's journal, when the events came from one: the
    /// store keeps the largest ([`crate::Store::journal_end`]), so that what a crash
    /// leaves in the journal is moved once.
    pub journal_end: Option<i64>,
}

impl EventBatch {
    /// Adds an event's line (made by [`EventRecord::line`]) at time `time`.
    pub fn push_line(&mut self, line: &[u8], time: i64) {
        if self.count == 0 {
            self.first_time = time;
            self.last_time = time;
        } else {
            self.first_time = self.first_time.min(time);
            self.last_time = self.last_time.max(time);
        }
        self.lines.extend_from_slice(line);
        self.count += 1;
    }

    /// The batch emptied, keeping its buffer for the next events (so that a writer that
    /// takes batches in turn does not grow and free a large buffer each time).
    pub fn emptied(self) -> EventBatch {
        let mut lines = self.lines;
        lines.clear();
        EventBatch {
            lines,
            ..EventBatch::default()
        }
    }

    /// The lines of the batch, oldest first, without their newlines (a line cut short,
    /// without its newline, is left out).
    pub fn each_line(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        complete_lines(&self.lines)
    }
}

/// The complete lines of `bytes` (each ended by a newline), without their newlines.
pub(crate) fn complete_lines(bytes: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    bytes[..complete]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
}

/// The columns of an event in its line, in order (everything but the record).
type Columns = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    bool,
    Option<String>,
    Vec<(String, String)>,
);

/// An event's columns, borrowed from whatever holds them: what a writer needs to make the
/// event's line ([`EventColumns::write_line`]) without copying its strings first. The
/// fields mean what [`EventRecord`]'s fields of the same names mean.
#[derive(Debug, Clone, Copy)]
pub struct EventColumns<'a> {
    /// `eventID`.
    pub event_id: &'a str,
    /// `recipientAccountId`.
    pub account: &'a str,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `eventName`.
    pub name: &'a str,
    /// `eventSource`.
    pub source: &'a str,
    /// The user name LookupEvents reports.
    pub username: Option<&'a str>,
    /// The access key the request was signed with.
    pub access_key_id: Option<&'a str>,
    /// `readOnly`.
    pub read_only: bool,
    /// `userIdentity.arn`.
    pub principal_arn: Option<&'a str>,
    /// `sessionIssuer.arn`.
    pub issuer_arn: Option<&'a str>,
    /// The IAM action the request was authorized as.
    pub action: &'a str,
    /// The resource the request was authorized against.
    pub resource_arn: Option<&'a str>,
    /// True when the request passed authentication and authorization.
    pub authorized: bool,
    /// `errorCode`.
    pub error_code: Option<&'a str>,
    /// The (type, name) pairs LookupEvents lists.
    pub resources: &'a [(&'a str, &'a str)],
}

impl EventColumns<'_> {
    /// Appends the event's line to `out`: its columns as a JSON array, a tab, the
    /// CloudTrail record that `record` appends (compact JSON, which never holds a raw tab
    /// or newline), and a newline.
    pub fn write_line(&self, out: &mut Vec<u8>, record: impl FnOnce(&mut Vec<u8>)) {
        let columns = (
            self.event_id,
            self.account,
            self.time,
            self.name,
            self.source,
            self.username,
            self.access_key_id,
            self.read_only,
            self.principal_arn,
            self.issuer_arn,
            self.action,
            self.resource_arn,
            self.authorized,
            self.error_code,
            self.resources,
        );
        serde_json::to_writer(&mut *out, &columns).expect("strings and numbers serialize");
        out.push(b'\t');
        record(out);
        out.push(b'\n');
    }
}

impl EventRecord {
    /// The event as one line ([`EventColumns::write_line`]).
    pub fn line(&self) -> Vec<u8> {
        let resources: Vec<(&str, &str)> = self
            .resources
            .iter()
            .map(|(kind, name)| (kind.as_str(), name.as_str()))
            .collect();
        let columns = EventColumns {
            event_id: &self.event_id,
            account: &self.account,
            time: self.time,
            name: &self.name,
            source: &self.source,
            username: self.username.as_deref(),
            access_key_id: self.access_key_id.as_deref(),
            read_only: self.read_only,
            principal_arn: self.principal_arn.as_deref(),
            issuer_arn: self.issuer_arn.as_deref(),
            action: &self.action,
            resource_arn: self.resource_arn.as_deref(),
            authorized: self.authorized,
            error_code: self.error_code.as_deref(),
            resources: &resources,
        };
        let mut line = Vec::with_capacity(self.body.len() + 512);
        columns.write_line(&mut line, |out| out.extend_from_slice(self.body.as_bytes()));
        line
    }

    /// The event of a line (without its newline); `None` when the line is damaged.
    pub fn from_line(line: &[u8]) -> Option<EventRecord> {
        let tab = line.iter().position(|b| *b == b'\t')?;
        let c: Columns = serde_json::from_slice(&line[..tab]).ok()?;
        let body = std::str::from_utf8(&line[tab + 1..]).ok()?.to_string();
        Some(EventRecord {
            event_id: c.0,
            account: c.1,
            time: c.2,
            name: c.3,
            source: c.4,
            username: c.5,
            access_key_id: c.6,
            read_only: c.7,
            principal_arn: c.8,
            issuer_arn: c.9,
            action: c.10,
            resource_arn: c.11,
            authorized: c.12,
            error_code: c.13,
            resources: c.14,
            body,
        })
    }

    /// The record part of a line (without its newline).
    pub fn body_of_line(line: &[u8]) -> &[u8] {
        line.iter()
            .position(|b| *b == b'\t')
            .map_or(&[][..], |tab| &line[tab + 1..])
    }
}

impl EventQuery {
    /// True when `event` is one the query selects (its account, time range and
    /// attributes; positions and limits are the caller's).
    pub fn matches(&self, event: &EventRecord) -> bool {
        event.account == self.account
            && self.start.is_none_or(|t| event.time >= t)
            && self.end.is_none_or(|t| event.time <= t)
            && self.attributes.iter().all(|(attribute, value)| {
                let is = |v: &Option<String>| v.as_deref() == Some(value.as_str());
                match attribute {
                    EventAttribute::EventId => event.event_id == *value,
                    EventAttribute::EventName => event.name == *value,
                    EventAttribute::EventSource => event.source == *value,
                    EventAttribute::Username => is(&event.username),
                    EventAttribute::AccessKeyId => is(&event.access_key_id),
                    EventAttribute::ReadOnly => event.read_only == (value == "true"),
                    EventAttribute::ResourceName => event.resources.iter().any(|(_, n)| n == value),
                    EventAttribute::ResourceType => event.resources.iter().any(|(t, _)| t == value),
                    EventAttribute::Principal => is(&event.principal_arn) || is(&event.issuer_arn),
                }
            })
    }
}
