//! Reading inputs: when an input is complete, and how a line splits into a command
//! (`:name rest`), a transaction (`name.fn(args) [as @account]`) or Braid code.

/// The bracket depth of `text` at its end: `(`, `[` and `{` open, their partners close;
/// brackets inside string literals and comments do not count. Negative when more
/// close than open.
pub fn bracket_depth(text: &str) -> i64 {
    let mut depth = 0i64;
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    let mut block_comment = 0usize;
    while let Some(c) = chars.next() {
        if block_comment > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block_comment -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block_comment += 1;
            }
            continue;
        }
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                // A line comment runs to the end of its line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block_comment += 1;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Whether an input is complete: its brackets balance (or close more than they open,
/// which no further line can fix: the error is reported at once).
pub fn is_complete(text: &str) -> bool {
    bracket_depth(text) <= 0
}

/// Splits `text` at top-level commas (outside brackets and strings), trimming each
/// part; an empty text gives no parts.
pub fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i64;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() || !parts.is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

/// Whether `s` is an identifier.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A call written `target.function(args) [as @account]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallText {
    /// The instance (or contract) before the dot.
    pub target: String,
    /// The function after the dot.
    pub function: String,
    /// Each argument's text.
    pub args: Vec<String>,
    /// The account after `as`, if any (without the `@`).
    pub sender: Option<String>,
}

/// Splits a trailing `as @account` (or `as account`) off `text`.
pub fn split_sender(text: &str) -> Result<(&str, Option<String>), String> {
    let trimmed = text.trim_end();
    if let Some(close) = trimmed.rfind(')') {
        let tail = trimmed[close + 1..].trim();
        if tail.is_empty() {
            return Ok((&trimmed[..=close], None));
        }
        let Some(account) = tail.strip_prefix("as") else {
            return Err(format!("unexpected `{tail}` after the call"));
        };
        let account = account.trim();
        let name = account.strip_prefix('@').unwrap_or(account);
        if !is_ident(name) {
            return Err(format!(
                "`as` takes an account name like `@alice`, found `{account}`"
            ));
        }
        return Ok((&trimmed[..=close], Some(name.to_string())));
    }
    Ok((trimmed, None))
}

/// Parses `target.function(args) [as @account]`; `None` when the text does not have
/// that shape at all.
pub fn parse_call(text: &str) -> Option<Result<CallText, String>> {
    // A `;` after the call, as after a statement, changes nothing.
    let text = text.trim().trim_end_matches(';').trim_end();
    let dot = text.find('.')?;
    let target = &text[..dot];
    let rest = &text[dot + 1..];
    let open = rest.find('(')?;
    let function = rest[..open].trim();
    if !is_ident(target) || !is_ident(function) {
        return None;
    }
    let (call, sender) = match split_sender(rest) {
        Ok(x) => x,
        Err(e) => return Some(Err(e)),
    };
    let inner = call[open..].strip_prefix('(')?;
    let Some(inner) = inner.strip_suffix(')') else {
        return Some(Err("a call's arguments end with `)`".into()));
    };
    if bracket_depth(inner) != 0 {
        return Some(Err("unbalanced brackets in the arguments".into()));
    }
    Some(Ok(CallText {
        target: target.to_string(),
        function: function.to_string(),
        args: split_top_level(inner),
        sender,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_follows_brackets_outside_strings_and_comments() {
        assert!(is_complete("1 + 2"));
        assert!(!is_complete("fn f() {"));
        assert!(is_complete("fn f() {\n 1\n}"));
        assert!(is_complete("require(x, \"(\")"));
        assert!(is_complete("1 // (\n"));
        assert!(!is_complete("(1 /* ) */"));
        assert!(is_complete(")"));
    }

    #[test]
    fn arguments_split_at_top_level_commas() {
        assert_eq!(split_top_level(""), Vec::<String>::new());
        assert_eq!(split_top_level(" 1, (2, 3) ,@a"), vec!["1", "(2, 3)", "@a"]);
        assert_eq!(split_top_level("\"a,b\", 2"), vec!["\"a,b\"", "2"]);
    }

    #[test]
    fn calls_parse_with_an_optional_sender() {
        let call = parse_call("usd.transfer(@bob, 10 * 2) as @alice")
            .expect("a call")
            .expect("valid");
        assert_eq!(call.target, "usd");
        assert_eq!(call.function, "transfer");
        assert_eq!(call.args, vec!["@bob", "10 * 2"]);
        assert_eq!(call.sender.as_deref(), Some("alice"));
        assert_eq!(
            parse_call("usd.f(1);").and_then(Result::ok).map(|c| c.args),
            Some(vec!["1".to_string()])
        );
        assert!(parse_call("1 + 2").is_none());
        assert!(parse_call("p.0").is_none());
        assert!(matches!(parse_call("usd.f(1) as"), Some(Err(_))));
        assert!(matches!(parse_call("usd.f(1) xyz"), Some(Err(_))));
    }
}
