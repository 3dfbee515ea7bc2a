//! The reader's table of any bytes, given to every row parser (beneficiaries, callers,
//! territories, do-not-call list): rows, refused rows or an `ImportError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lien::import::read::read_table;
use lien::import::{
    parse_beneficiaries, parse_callers, parse_opt_outs, parse_territories, ImportOptions,
};

fuzz_target!(|bytes: &[u8]| {
    let Ok(table) = read_table(bytes) else {
        return;
    };
    let options = ImportOptions::default();
    let _ = parse_beneficiaries(&table, &options);
    let _ = parse_callers(&table, &options);
    let _ = parse_territories(&table, &options);
    let _ = parse_opt_outs(&table, &options);
});
