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

/// The HTML written so far and the open blocks (paragraph lines, table rows, list items).
#[derive(Default)]
struct Page<'a> {
    body: String,
    paragraph: Vec<&'a str>,
    table: Vec<&'a str>,
    list: Vec<&'a str>,
}

impl Page<'_> {
    /// Closes every open block.
    fn flush(&mut self) {
        self.flush_paragraph();
        self.flush_table();
        self.flush_list();
    }

    fn flush_paragraph(&mut self) {
        if !self.paragraph.is_empty() {
            let _ = writeln!(self.body, "<p>{}</p>", inline(&self.paragraph.join(" ")));
            self.paragraph.clear();
        }
    }

    /// The table, its header row above the separator, right-aligned where the separator
    /// says so.
    fn flush_table(&mut self) {
        if self.table.is_empty() {
            return;
        }
        self.body.push_str("<table>\n");
        let align: Vec<bool> = self
            .table
            .iter()
            .find(|l| is_separator(l))
            .map(|s| cells(s).iter().map(|c| c.ends_with(':')).collect())
            .unwrap_or_default();
        let mut header = true;
        for line in &self.table {
            if is_separator(line) {
                header = false;
                continue;
            }
            let tag = if header { "th" } else { "td" };
            self.body.push_str("<tr>");
            for (i, c) in cells(line).iter().enumerate() {
                let right = !header && align.get(i).copied().unwrap_or(false);
                let style = if right { " class=\"num\"" } else { "" };
                let _ = write!(self.body, "<{tag}{style}>{}</{tag}>", inline(c));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</table>\n");
        self.table.clear();
    }

    fn flush_list(&mut self) {
        if self.list.is_empty() {
            return;
        }
        self.body.push_str("<ul>\n");
        for item in &self.list {
            let _ = writeln!(self.body, "<li>{}</li>", inline(item));
        }
        self.body.push_str("</ul>\n");
        self.list.clear();
    }

    /// The figure a Markdown image link names, inlined with its caption.
    fn figure(&mut self, link: &str, figures: &[(String, String, String)]) {
        let file = link
            .rsplit_once("](")
            .map(|(_, f)| f.trim_end_matches(')'))
            .unwrap_or("");
        match figures.iter().find(|(f, _, _)| f == file) {
            Some((_, svg, caption)) => {
                let _ = writeln!(
                    self.body,
                    "<figure>{svg}<figcaption>{}</figcaption></figure>",
                    inline(caption)
                );
            }
            None => {
                let _ = writeln!(self.body, "<p>[figure {}]</p>", escape(file));
            }
        }
    }
}

/// Converts the report's Markdown to an HTML page; `figures` maps a figure's file name to
/// its SVG and caption, inlined where the Markdown links the image.
pub fn to_html(title: &str, markdown: &str, figures: &[(String, String, String)]) -> String {
    let mut page = Page::default();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix("## ") {
            page.flush();
            let _ = writeln!(page.body, "<h2>{}</h2>", inline(h));
        } else if let Some(h) = trimmed.strip_prefix("# ") {
            page.flush();
            let _ = writeln!(page.body, "<h1>{}</h1>", inline(h));
        } else if trimmed.starts_with('|') {
            page.flush_paragraph();
            page.flush_list();
            page.table.push(line);
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            page.flush_paragraph();
            page.flush_table();
            page.list.push(item);
        } else if let Some(link) = trimmed.strip_prefix("![") {
            page.flush();
            page.figure(link, figures);
        } else if trimmed.is_empty() {
            page.flush();
        } else if trimmed.starts_with('*')
            && trimmed.ends_with('*')
            && figures
                .iter()
                .any(|(_, _, c)| trimmed.trim_matches('*') == c.as_str())
        {
            // The Markdown's caption line: the figure already carries it.
        } else {
            page.paragraph.push(trimmed);
        }
    }
    page.flush();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>\nbody {{ font-family: sans-serif; max-width: 84rem; margin: 2rem auto; \
         padding: 0 1rem; color: #222; }}\ntable {{ border-collapse: collapse; margin: 1rem 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         th {{ background: #f2f2f2; }}\nfigure {{ margin: 1rem 0.5rem; display: inline-block; \
         vertical-align: top; max-width: 100%; }}\n\
         figcaption {{ font-style: italic; }}\ncode {{ background: #f4f4f4; padding: 0 0.2rem; }}\n\
         </style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape(title),
        page.body
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
