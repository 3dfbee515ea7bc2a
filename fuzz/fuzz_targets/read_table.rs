//! Any bytes given to the reader (encoding detection, `sep=` line, delimiter sniffing,
//! title lines, quoted records) give a table or an `ImportError`, never a panic; and a
//! table keeps the reader's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lien::import::read::read_table;

fuzz_target!(|bytes: &[u8]| {
    let Ok(table) = read_table(bytes) else {
        return;
    };
    assert!(table.header_line >= 1);
    assert!(table
        .records
        .iter()
        .all(|(line, _)| *line > table.header_line));
    assert!(table.records.windows(2).all(|pair| pair[0].0 < pair[1].0));
});
