//! CSV for spreadsheet users: UTF-8 with a byte-order mark (so Excel reads
//! Chinese text correctly), CRLF line ends, RFC 4180 quoting.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};

pub const BOM: &str = "\u{FEFF}";

/// A CSV document being written row by row.
pub struct Csv {
    text: String,
}

impl Csv {
    pub fn new<S: AsRef<str>>(header: &[S]) -> Self {
        let mut csv = Self {
            text: BOM.to_owned(),
        };
        csv.row(header);
        csv
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> &mut Self {
        let line: Vec<String> = cells.iter().map(|c| quote(c.as_ref())).collect();
        self.text.push_str(&line.join(","));
        self.text.push_str("\r\n");
        self
    }

    pub fn into_string(self) -> String {
        self.text
    }

    /// An attachment answer named `filename`.
    pub fn into_response(self, filename: &str) -> HttpResponse {
        let disposition = ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename.to_owned())],
        };
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .body(self.text)
    }
}

/// Quotes a cell holding a comma, quote or line break; a leading `=+-@`
/// is prefixed with `'` so spreadsheets never run a cell as a formula.
fn quote(cell: &str) -> String {
    let cell = match cell.chars().next() {
        Some('=' | '+' | '@') => format!("'{cell}"),
        Some('-') if cell.parse::<i64>().is_err() => format!("'{cell}"),
        _ => cell.to_owned(),
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(&["王, 大伯", "-120"])
            .row(&["=SUM(A1)", "say \"hi\""]);
        let text = csv.into_string();
        assert!(text.starts_with(BOM));
        assert_eq!(
            &text[BOM.len()..],
            "a,b\r\n\"王, 大伯\",-120\r\n'=SUM(A1),\"say \"\"hi\"\"\"\r\n"
        );
    }
}
