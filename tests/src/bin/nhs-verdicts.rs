//! Reads candidate NHS numbers, one per line on stdin, and prints this project's verdict on each
//! (`ok <issuer>` or `err <why>`), for scripts/nhs-oracle.py to compare with an independent
//! implementation.

use std::io::{BufRead, BufWriter, Write};

use cpindex::nhs_number::{Issuer, NhsNumberError};
use cpindex::NhsNumber;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        let verdict = match NhsNumber::parse(&line) {
            Ok(n) => match n.issuer() {
                Issuer::EnglandWalesIsleOfMan => "ok england_wales_iom",
                Issuer::ScotlandChi => "ok scotland",
                Issuer::NorthernIreland => "ok northern_ireland",
                Issuer::Synthetic => "ok synthetic",
            },
            Err(NhsNumberError::Shape) => "err shape",
            Err(NhsNumberError::NoCheckDigit) => "err no_check_digit",
            Err(NhsNumberError::CheckDigit) => "err check_digit",
            Err(NhsNumberError::NotIssued(_)) => "err not_issued",
            Err(NhsNumberError::ChiDate) => "err chi_date",
        };
        writeln!(out, "{verdict}")?;
    }
    out.flush()
}
