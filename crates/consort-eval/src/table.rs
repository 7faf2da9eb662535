//! Markdown tables: every table of a report is built here, so all of them align the same way
//! and the HTML report reads them back the same way.

/// A Markdown table: a header row, then rows of cells; numeric columns right-aligned.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownTable {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl MarkdownTable {
    /// A table with these columns; a header starting with `>` is right-aligned (numbers),
    /// the `>` itself not shown.
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Self {
        let (headers, right) = headers
            .iter()
            .map(|h| match h.as_ref().strip_prefix('>') {
                Some(rest) => (rest.to_string(), true),
                None => (h.as_ref().to_string(), false),
            })
            .unzip();
        Self {
            headers,
            right,
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are left empty, extra ones dropped).
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let mut row: Vec<String> = cells.into_iter().map(|c| c.to_string()).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
        self
    }

    /// The table in Markdown, ending with a newline. A `|` inside a cell is escaped and a
    /// line break becomes a space, so any class or model name keeps the table intact.
    pub fn to_markdown(&self) -> String {
        let line = |cells: &[String]| {
            let escaped: Vec<String> = cells.iter().map(|c| escape_cell(c)).collect();
            format!("| {} |\n", escaped.join(" | "))
        };
        let mut out = line(&self.headers);
        out.push('|');
        for &r in &self.right {
            out.push_str(if r { "---:|" } else { "---|" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// A cell's text as Markdown table content: `|` escaped, line breaks as spaces.
fn escape_cell(cell: &str) -> String {
    cell.replace('|', "\\|").replace(['\r', '\n'], " ")
}

impl std::fmt::Display for MarkdownTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_markdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_numbers_right_and_pads_short_rows() {
        let mut t = MarkdownTable::new(&["model", ">accuracy"]);
        t.row(["knn", "0.98"]).row(["tree"]);
        assert_eq!(
            t.to_markdown(),
            "| model | accuracy |\n|---|---:|\n| knn | 0.98 |\n| tree |  |\n"
        );
    }
}
