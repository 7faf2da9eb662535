//! The report as one self-contained HTML page: the Markdown report's headings, paragraphs,
//! lists and tables, with every figure's SVG inlined (no external assets).

use std::fmt::Write as _;

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline Markdown: `**bold**` and `` `code` `` (after escaping).
fn inline(s: &str) -> String {
    let mut out = String::new();
    let escaped = escape(s);
    let mut rest = escaped.as_str();
    let (mut bold, mut code) = (false, false);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**").filter(|_| !code) {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = r;
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

/// The cells of a table row, split at unescaped `|` (`\\|` is a literal bar in a cell).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = match inner.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => inner,
    };
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().expect("one cell").push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("one cell").push(c),
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

fn is_separator(line: &str) -> bool {
    line.trim().starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Converts the report's Markdown to an HTML page; `figures` maps a figure's file name to
/// its SVG and caption, inlined where the Markdown links the image.
pub fn to_html(title: &str, markdown: &str, figures: &[(String, String, String)]) -> String {
    let mut body = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut table: Vec<&str> = Vec::new();
    let mut list: Vec<&str> = Vec::new();
    let flush = |body: &mut String,
                 paragraph: &mut Vec<&str>,
                 table: &mut Vec<&str>,
                 list: &mut Vec<&str>| {
        if !paragraph.is_empty() {
            let _ = writeln!(body, "<p>{}</p>", inline(&paragraph.join(" ")));
            paragraph.clear();
        }
        if !table.is_empty() {
            body.push_str("<table>\n");
            let align: Vec<bool> = table
                .iter()
                .find(|l| is_separator(l))
                .map(|s| cells(s).iter().map(|c| c.ends_with(':')).collect())
                .unwrap_or_default();
            let mut header = true;
            for line in table.iter() {
                if is_separator(line) {
                    header = false;
                    continue;
                }
                let tag = if header { "th" } else { "td" };
                body.push_str("<tr>");
                for (i, c) in cells(line).iter().enumerate() {
                    let right = !header && align.get(i).copied().unwrap_or(false);
                    let style = if right { " class=\"num\"" } else { "" };
                    let _ = write!(body, "<{tag}{style}>{}</{tag}>", inline(c));
                }
                body.push_str("</tr>\n");
            }
            body.push_str("</table>\n");
            table.clear();
        }
        if !list.is_empty() {
            body.push_str("<ul>\n");
            for item in list.iter() {
                let _ = writeln!(body, "<li>{}</li>", inline(item));
            }
            body.push_str("</ul>\n");
            list.clear();
        }
    };
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix("## ") {
            flush(&mut body, &mut paragraph, &mut table, &mut list);
            let _ = writeln!(body, "<h2>{}</h2>", inline(h));
        } else if let Some(h) = trimmed.strip_prefix("# ") {
            flush(&mut body, &mut paragraph, &mut table, &mut list);
            let _ = writeln!(body, "<h1>{}</h1>", inline(h));
        } else if trimmed.starts_with('|') {
            if !paragraph.is_empty() || !list.is_empty() {
                let mut t = Vec::new();
                flush(&mut body, &mut paragraph, &mut t, &mut list);
            }
            table.push(line);
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            if !paragraph.is_empty() || !table.is_empty() {
                let mut l = Vec::new();
                flush(&mut body, &mut paragraph, &mut table, &mut l);
            }
            list.push(item);
        } else if let Some(link) = trimmed.strip_prefix("![") {
            flush(&mut body, &mut paragraph, &mut table, &mut list);
            let file = link
                .rsplit_once("](")
                .map(|(_, f)| f.trim_end_matches(')'))
                .unwrap_or("");
            match figures.iter().find(|(f, _, _)| f == file) {
                Some((_, svg, caption)) => {
                    let _ = writeln!(
                        body,
                        "<figure>{svg}<figcaption>{}</figcaption></figure>",
                        inline(caption)
                    );
                }
                None => {
                    let _ = writeln!(body, "<p>[figure {}]</p>", escape(file));
                }
            }
        } else if trimmed.is_empty() {
            flush(&mut body, &mut paragraph, &mut table, &mut list);
        } else if trimmed.starts_with('*')
            && trimmed.ends_with('*')
            && figures
                .iter()
                .any(|(_, _, c)| trimmed.trim_matches('*') == c.as_str())
        {
            // The Markdown's caption line: the figure already carries it.
        } else {
            paragraph.push(trimmed);
        }
    }
    flush(&mut body, &mut paragraph, &mut table, &mut list);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>\nbody {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; \
         padding: 0 1rem; color: #222; }}\ntable {{ border-collapse: collapse; margin: 1rem 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         th {{ background: #f2f2f2; }}\nfigure {{ margin: 1.5rem 0; }}\n\
         figcaption {{ font-style: italic; }}\ncode {{ background: #f4f4f4; padding: 0 0.2rem; }}\n\
         </style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_headings_lists_and_figures_become_html() {
        let md = "# Run <1>\n\nDataset **digits**: `flex`.\n\n| model | acc |\n|---|---:|\n| knn | 0.98 |\n\n\
                  ## Notes\n\n- a & b\n\n![Curve](c.svg)\n\n*Curve*\n";
        let html = to_html(
            "Run",
            md,
            &[(
                "c.svg".into(),
                "<svg id=\"c\"></svg>".into(),
                "Curve".into(),
            )],
        );
        assert!(html.contains("<h1>Run &lt;1&gt;</h1>"), "{html}");
        assert!(html.contains("<strong>digits</strong>"));
        assert!(html.contains("<code>flex</code>"));
        assert!(html.contains("<tr><th>model</th><th>acc</th></tr>"));
        assert!(html.contains("<td class=\"num\">0.98</td>"));
        assert!(html.contains("<li>a &amp; b</li>"));
        assert!(html.contains("<figure><svg id=\"c\"></svg><figcaption>Curve</figcaption>"));
        assert_eq!(html.matches("Curve").count(), 1, "caption once: {html}");
        assert!(!html.contains("src="), "no external assets");
    }
}
