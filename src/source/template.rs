//! `${name}` template expansion, as Kayenta expands custom filter templates.

use super::SourceError;
use std::collections::BTreeMap;

/// Replaces every `${name}` in `template` with `vars[name]`. Kayenta stores templates with `${`
/// escaped as `$\{`; that escape is undone first.
///
/// # Errors
/// [`SourceError::UndefinedVariable`] for a `${name}` with no value (and for an unclosed `${`).
///
/// ```
/// use canary_judge::source::expand_template;
/// use std::collections::BTreeMap;
/// let vars = BTreeMap::from([("scope".to_string(), "web-canary".to_string())]);
/// assert_eq!(expand_template("group=$\\{scope}", &vars).unwrap(), "group=web-canary");
/// assert!(expand_template("${nope}", &vars).is_err());
/// ```
pub fn expand_template(
    template: &str,
    vars: &BTreeMap<String, String>,
) -> Result<String, SourceError> {
    let text = template.replace("$\\{", "${");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(SourceError::UndefinedVariable {
                template: template.to_string(),
                variable: after.to_string(),
            });
        };
        let name = &after[..end];
        let value = vars
            .get(name)
            .ok_or_else(|| SourceError::UndefinedVariable {
                template: template.to_string(),
                variable: name.to_string(),
            })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
