//! Where each statement sits in the text of its policy, as the IAM policy simulator reports
//! it in `MatchedStatements` (`StartPosition` and `EndPosition`, each a `Line` and a
//! `Column`).
//!
//! AWS counts both from 1, columns in characters, and reports the places a streaming JSON
//! parser is at (the AWS CLI's `simulate-custom-policy` example: the policy
//! `{"Version":"2012-10-17","Statement":{"Effect":"Allow",…}}}` on one line gives
//! `StartPosition` 1:38 and `EndPosition` 1:167):
//!
//! - the end is just after the statement's closing `}`;
//! - the start is just after the token before the statement: after the `[` for the first
//!   statement of an array, after the previous statement's `}` for the others (the comma
//!   between them is read with the next statement), and after the statement's own `{` when
//!   `Statement` is a single object (the parser reads the opening brace of a member's value
//!   together with the member's name).
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`. serde gives no positions, so this module
//! scans the text for the braces of each statement object, skipping strings (and their
//! escapes) and every other value. It runs only on text that already parsed as JSON.

/// A place in the text of a policy: a line and a column, both counted from 1, the column in
/// characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, in characters.
    pub column: u32,
}

/// Where a statement is in the text of its policy, as the IAM policy simulator reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// `StartPosition`: just after the token before the statement.
    pub start: Position,
    /// `EndPosition`: just after the statement's closing `}`.
    pub end: Position,
}

/// The span of every statement of a policy, in document order; `None` when the text has
/// no top-level `Statement` member holding an object or an array of objects.
pub(crate) fn statement_spans(text: &str) -> Option<Vec<Span>> {
    let mut s = Scanner::new(text);
    s.skip_whitespace();
    s.expect(b'{')?;
    let mut found = None;
    loop {
        s.skip_whitespace();
        if s.peek()? == b'}' {
            break;
        }
        let key = s.string()?;
        s.skip_whitespace();
        s.expect(b':')?;
        if key == "Statement" {
            found = Some(s.statements()?);
        } else {
            s.value()?;
        }
        s.skip_whitespace();
        match s.bump()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    found
}

/// A cursor over the bytes of the text that knows the line and column of the next
/// character.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
    line: u32,
    column: u32,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            at: 0,
            line: 1,
            column: 1,
        }
    }

    fn here(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Consumes one byte. A UTF-8 continuation byte belongs to the character before it,
    /// so it does not move the column.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        match b {
            b'\n' => {
                self.line += 1;
                self.column = 1;
            }
            b'\r' if self.peek() != Some(b'\n') => {
                self.line += 1;
                self.column = 1;
            }
            0x80..=0xBF => {}
            _ => self.column += 1,
        }
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.bump()? == want).then_some(())
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Reads a string and returns its value (escapes decoded).
    fn string(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        let start = self.at;
        self.skip_string()?;
        let raw = self.text.get(start..self.at)?;
        let inner = &raw[1..raw.len() - 1];
        if inner.contains('\\') {
            serde_json::from_str::<String>(raw).ok().map(Into::into)
        } else {
            Some(inner.into())
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.bump()? {
                b'"' => return Some(()),
                b'\\' => {
                    self.bump()?;
                }
                _ => {}
            }
        }
    }

    /// Skips one value of any kind.
    fn value(&mut self) -> Option<()> {
        self.skip_whitespace();
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                self.bump();
                self.skip_nested()
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Skips the rest of an object or array whose opening bracket was just read, through
    /// its closing bracket.
    fn skip_nested(&mut self) -> Option<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    self.bump();
                    depth += 1;
                }
                b'}' | b']' => {
                    self.bump();
                    depth -= 1;
                }
                _ => {
                    self.bump();
                }
            }
        }
        Some(())
    }

    /// Reads the value of `Statement`: one object, or an array of objects.
    fn statements(&mut self) -> Option<Vec<Span>> {
        self.skip_whitespace();
        match self.bump()? {
            b'{' => {
                let start = self.here();
                self.skip_nested()?;
                Some(vec![Span {
                    start,
                    end: self.here(),
                }])
            }
            b'[' => {
                let mut spans = Vec::new();
                let mut before = self.here();
                loop {
                    self.skip_whitespace();
                    match self.peek()? {
                        b']' => {
                            self.bump();
                            return Some(spans);
                        }
                        b',' => {
                            self.bump();
                        }
                        b'{' => {
                            self.bump();
                            self.skip_nested()?;
                            let end = self.here();
                            spans.push(Span { start: before, end });
                            before = end;
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    fn span(start: (u32, u32), end: (u32, u32)) -> Span {
        Span {
            start: at(start.0, start.1),
            end: at(end.0, end.1),
        }
    }

    /// The AWS CLI's `simulate-custom-policy` example 1 (awscli/examples/iam/
    /// simulate-custom-policy.rst): StartPosition 1:38, EndPosition 1:167.
    #[test]
    fn single_statement_object_as_in_the_aws_cli_example() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
        assert_eq!(statement_spans(text).unwrap(), [span((1, 38), (1, 167))]);
    }

    /// AdministratorAccess as IAM stores it (two-space indents): AWS answers 3:17 to 8:6.
    #[test]
    fn pretty_printed_array() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
        assert_eq!(statement_spans(text).unwrap(), [span((3, 17), (8, 6))]);
    }

    /// Statements in an array on one line: each starts where the one before ends (after
    /// its `}`, before the comma), as in AWS's answers for `json.dumps` output.
    #[test]
    fn consecutive_statements_share_their_boundary() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}"#;
        let spans = statement_spans(text).unwrap();
        assert_eq!(spans.len(), 2);
        let first_brace = text.find("[{").unwrap() as u32 + 2;
        assert_eq!(spans[0].start, at(1, first_brace));
        assert_eq!(spans[0].end, spans[1].start);
        let second_close = text.len() as u32 - 1;
        assert_eq!(spans[1].end, at(1, second_close));
        assert_eq!(&text[spans[0].end.column as usize - 1..][..2], ", ");
    }

    #[test]
    fn tabs_crlf_and_lone_cr_count_as_aws_does() {
        let text = "{\r\n\t\"Statement\": [\r\n\t\t{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"\r\t\t}\r\n\t]\r\n}";
        assert_eq!(statement_spans(text).unwrap(), [span((2, 16), (4, 4))]);
    }

    #[test]
    fn strings_escapes_and_other_members_are_skipped() {
        let text = r#"{"Id": "a}b{\"[", "Version": "2012-10-17", "Statement": [{"Sid": "x\"}", "Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b/{x}", "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": true}}}], "Extra": [1, {"Statement": []}]}"#;
        let spans = statement_spans(text).unwrap();
        assert_eq!(spans.len(), 1);
        let close = text.find("}}}]").unwrap() as u32 + 3;
        assert_eq!(spans[0].end, at(1, close + 1));
    }

    #[test]
    fn escaped_member_names_are_decoded() {
        let text = r#"{"\u0053tatement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#;
        assert_eq!(statement_spans(text).unwrap().len(), 1);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "{\"Id\": \"caf\u{e9}\u{ff}\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}";
        let spans = statement_spans(text).unwrap();
        let chars_before_brace = text[..text.find("{\"Effect").unwrap()].chars().count() as u32;
        assert_eq!(spans[0].start, at(1, chars_before_brace + 2));
    }

    /// The statement a span delimits: the text from its start to its end, without the
    /// separator before it, or with the opening brace a single statement starts after.
    fn statement_text(text: &str, span: Span) -> String {
        let lines: Vec<&str> = text.split('\n').collect();
        let offset = |p: Position| {
            let before: usize = lines[..p.line as usize - 1]
                .iter()
                .map(|l| l.len() + 1)
                .sum();
            let line = lines[p.line as usize - 1];
            before
                + line
                    .char_indices()
                    .nth(p.column as usize - 1)
                    .map_or(line.len(), |(i, _)| i)
        };
        let inside = text[offset(span.start)..offset(span.end)]
            .trim_start_matches([',', '[', ' ', '\n', '\t']);
        if inside.starts_with('{') {
            inside.to_string()
        } else {
            format!("{{{inside}")
        }
    }

    /// Every statement of every AWS managed policy, compact or pretty-printed, is found,
    /// and its span holds exactly that statement.
    #[test]
    fn spans_hold_their_statements_in_every_managed_policy() {
        for p in portcullis_catalog::managed_policies() {
            let value: serde_json::Value = serde_json::from_str(&p.document).unwrap();
            let statements = match &value["Statement"] {
                serde_json::Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            for text in [p.document.as_str(), pretty.as_str()] {
                let spans = statement_spans(text).unwrap();
                assert_eq!(spans.len(), statements.len(), "{}", p.arn);
                for (span, statement) in spans.iter().zip(&statements) {
                    let inside = statement_text(text, *span);
                    let parsed: serde_json::Value = serde_json::from_str(&inside)
                        .unwrap_or_else(|e| panic!("{}: {e}: {inside}", p.arn));
                    assert_eq!(&parsed, statement, "{}", p.arn);
                }
            }
        }
    }

    #[test]
    fn no_statement_or_odd_shapes_give_none() {
        for text in [
            "",
            "[]",
            r#"{"Version": "2012-10-17"}"#,
            r#"{"Statement": "x"}"#,
            r#"{"Statement": ["x"]}"#,
            r#"{"Statement": [{"Effect": "Allow"}"#,
            r#"{"Statement": {"Effect": "Allow"#,
        ] {
            assert_eq!(statement_spans(text), None, "{text}");
        }
    }
}
