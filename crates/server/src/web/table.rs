//! A table of text cells and its two download forms: CSV in UTF-8 with a byte
//! order mark (so that Excel on a Chinese Windows opens it without mojibake)
//! and XLSX.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A titled table: the title names the sheet and the downloaded file.
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The file formats a table downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format named by a file extension.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Excel reads a cell starting with one of these as a formula; a leading
/// apostrophe keeps a user-supplied value text (CSV injection).
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

impl Table {
    pub fn csv(&self) -> Result<Vec<u8>, String> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&self.headers).map_err(|e| e.to_string())?;
            for row in &self.rows {
                w.write_record(row.iter().map(|c| inert(c).into_owned()))
                    .map_err(|e| e.to_string())?;
            }
            w.flush().map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    pub fn xlsx(&self) -> Result<Vec<u8>, String> {
        use rust_xlsxwriter::{Format as CellFormat, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        // A sheet name is at most 31 characters and cannot hold []:*?/\.
        let name: String = self
            .title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(&name).map_err(|e| e.to_string())?;
        let bold = CellFormat::new().set_bold();
        for (c, h) in self.headers.iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| e.to_string())?;
            sheet
                .write_string_with_format(0, col, h, &bold)
                .map_err(|e| e.to_string())?;
            sheet
                .set_column_width(col, (h.chars().count() * 2 + 4).max(12) as f64)
                .map_err(|e| e.to_string())?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|e| e.to_string())?;
            for (c, v) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|e| e.to_string())?;
                // Strings only: the writer never turns text into a formula.
                sheet.write_string(r, col, v).map_err(|e| e.to_string())?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
        book.save_to_buffer().map_err(|e| e.to_string())
    }

    /// The table as a download in `format`, named after its title.
    pub fn download(&self, format: Format) -> Response {
        let bytes = match format {
            Format::Csv => self.csv(),
            Format::Xlsx => self.xlsx(),
        };
        match bytes {
            Ok(bytes) => attachment(
                &format!("{}.{}", self.title, format.extension()),
                format.content_type(),
                bytes,
            ),
            Err(e) => crate::request_log::with_detail(
                (StatusCode::INTERNAL_SERVER_ERROR, "导出失败").into_response(),
                format!("export failed: {e}"),
            ),
        }
    }
}

/// A response the browser saves rather than shows: `Content-Disposition:
/// attachment` with an ASCII fallback name and the real one in RFC 5987 form.
pub fn attachment(file_name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "覆盖情况".into(),
            headers: vec!["单位".into(), "备注".into()],
            rows: vec![
                vec!["平阴县".into(), "含,逗号\"引号".into()],
                vec!["=cmd|'/c calc'!A1".into(), "-1".into()],
            ],
        }
    }

    #[test]
    fn csv_has_a_bom_quotes_and_no_formulas() {
        let bytes = table().csv().unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "单位,备注");
        assert_eq!(lines[1], "平阴县,\"含,逗号\"\"引号\"");
        assert!(lines[2].starts_with("'=cmd"), "{}", lines[2]);
        assert!(lines[2].ends_with(",'-1"), "{}", lines[2]);
    }

    #[test]
    fn xlsx_reads_back_as_written() {
        use calamine::{Reader, Xlsx};
        let bytes = table().xlsx().unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["覆盖情况".to_string()]);
        let range = book.worksheet_range("覆盖情况").unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(cells[1], vec!["平阴县", "含,逗号\"引号"]);
        // Text, not a formula: the value comes back verbatim.
        assert_eq!(cells[2][0], "=cmd|'/c calc'!A1");
    }

    #[test]
    fn download_names_the_file_in_both_forms() {
        let resp = table().download(Format::Csv);
        let d = resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(d.starts_with("attachment; filename=\""), "{d}");
        assert!(d.contains("filename*=UTF-8''%E8%A6%86"), "{d}");
    }
}
