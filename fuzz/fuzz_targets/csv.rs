//! The CSV reader on arbitrary bytes, in every label, missing-value and text-column mode:
//! it returns a table or an error, and a table splits, resolves and encodes.
#![no_main]

use consort_data::{CsvOptions, LabelColumn, MissingValues, OneHotEncoder, parse_table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &[u8])| {
    let (mode, bytes) = input;
    let options = CsvOptions {
        label: match mode % 3 {
            0 => LabelColumn::Absent,
            1 => LabelColumn::Index(0),
            _ => LabelColumn::Last,
        },
        missing: [
            MissingValues::Error,
            MissingValues::Drop,
            MissingValues::Median,
        ][usize::from(mode / 3 % 3)],
        keep_text_columns: mode & 0x80 != 0,
        ..CsvOptions::default()
    };
    if let Ok(table) = parse_table(bytes, "fuzz", &options) {
        let _ = table.split(0.25, 0);
        let _ = table.clone().resolve(options.missing);
        let _ = OneHotEncoder::fit(&table).encode(table);
    }
});
