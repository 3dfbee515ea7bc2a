//! `lien import KIND FILE`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use super::{open_store, print_json, Cli, Texts};
use crate::config::Settings;
use crate::domain::CampaignName;
use crate::import::{self, report::ImportReport, Field, ImportKind, ImportOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKindArg {
    Territories,
    Callers,
    Beneficiaries,
    /// A do-not-call list: the people in it are never called again.
    OptOut,
    /// Organisations' staffing needs (volunteer missions).
    Needs,
    /// The volunteer pool (agents, association professionals, students).
    Volunteers,
}

impl From<ImportKindArg> for ImportKind {
    fn from(k: ImportKindArg) -> Self {
        match k {
            ImportKindArg::Territories => ImportKind::Territories,
            ImportKindArg::Callers => ImportKind::Callers,
            ImportKindArg::Beneficiaries => ImportKind::Beneficiaries,
            ImportKindArg::OptOut => ImportKind::OptOut,
            ImportKindArg::Needs => ImportKind::Needs,
            ImportKindArg::Volunteers => ImportKind::Volunteers,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKindArg,
    /// The CSV file (`;` `,` tab or `|`; UTF-8, UTF-16 or Windows-1252).
    pub file: PathBuf,
    /// Campaign the beneficiaries are enrolled in.
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// Read and check everything, print the report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Say what a column means when its header is not recognised: 'Header=field'
    /// (e.g. --map 'N° allocataire=external_ref'). May be repeated.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<String>,
    /// Calls a caller makes per declared half-day, for lists that give half-days.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub half_day_calls: u32,
    /// With a callers list: give each caller without an account one, and send them an
    /// invitation mail with a login link (links use LIEN_BASE_URL).
    #[arg(long)]
    pub invite: bool,
}

pub(super) async fn import(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let campaign = CampaignName::parse(&args.campaign)?;
    if args.invite && args.kind != ImportKindArg::Callers {
        bail!(txt.t("import.invite_needs_callers"));
    }
    let options = import_options(txt, &settings, args)?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| txt.f("import.cannot_read", &[&args.file.display()]))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let store = open_store(txt, &settings.database_url).await?;
    let import = import::apply::Import {
        store: &store,
        created_by: None,
        kind: args.kind.into(),
        campaign: &campaign,
        file_name: &file_name,
        options: &options,
        dry_run: args.dry_run,
    };
    let bar = rows_bar(txt, args.json);
    let result = import
        .run(std::io::BufReader::new(file), &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    store.close().await;
    match result {
        Ok(report) if args.json => print_json(&report),
        Ok(report) => print_import_report(txt, &report, &mut std::io::stdout().lock()),
        Err(failure) => {
            if args.json {
                print_json(&serde_json::json!({
                    "error": failure.code(),
                    "message": failure.to_string(),
                }))?;
            }
            Err(anyhow::anyhow!(
                txt.f("import.nothing_imported", &[&failure])
            ))
        }
    }
}

/// A progress bar of the rows on stderr, on a terminal and without `--json`; hidden
/// otherwise.
fn rows_bar(txt: Texts, json: bool) -> indicatif::ProgressBar {
    let bar = super::progress::bar(json);
    bar.set_style(super::progress::counted_style());
    bar.set_message(txt.t("import.progress.rows"));
    bar
}

/// The options the flags give: half-days, invitations and `--map` overrides.
fn import_options(
    txt: Texts,
    settings: &Settings,
    args: &ImportArgs,
) -> anyhow::Result<ImportOptions> {
    let mut options = ImportOptions {
        half_day_calls: args.half_day_calls,
        invite: args.invite.then(|| settings.base_url.clone()),
        ..ImportOptions::default()
    };
    for pair in &args.map {
        let quoted = format!("{pair:?}");
        let (header, field) = pair
            .rsplit_once('=')
            .with_context(|| txt.f("import.map_syntax", &[&quoted]))?;
        let field: Field = field
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!(txt.f("import.map_field", &[&quoted, &e])))?;
        options.overrides.push((header.trim().to_string(), field));
    }
    Ok(options)
}

/// The report for the coordinator at the terminal.
fn print_import_report(txt: Texts, r: &ImportReport, out: &mut impl Write) -> anyhow::Result<()> {
    let kind = txt.t(match r.kind.as_str() {
        "territories" => "import.kind.territories",
        "callers" => "import.kind.callers",
        "beneficiaries" => "import.kind.beneficiaries",
        "needs" => "import.kind.needs",
        "volunteers" => "import.kind.volunteers",
        _ => "import.kind.opt_out",
    });
    let header = [
        &kind as &dyn std::fmt::Display,
        &r.file,
        &r.encoding,
        &r.delimiter,
    ];
    writeln!(out, "{}", txt.f("import.header", &header))?;
    writeln!(out, "{}", txt.f("import.rows", &[&r.rows]))?;
    writeln!(out, "{}", txt.f("import.inserted", &[&r.inserted]))?;
    writeln!(out, "{}", txt.f("import.updated", &[&r.updated]))?;
    writeln!(out, "{}", txt.f("import.unchanged", &[&r.unchanged]))?;
    writeln!(out, "{}", txt.f("import.rejected", &[&r.rejected]))?;
    if r.invited > 0 {
        writeln!(out, "{}", txt.f("import.invited", &[&r.invited]))?;
    }
    if r.enrolled > 0 {
        writeln!(out, "{}", txt.f("import.enrolled", &[&r.enrolled]))?;
    }
    if r.kept_final_status > 0 {
        let kept = txt.f("import.kept_final_status", &[&r.kept_final_status]);
        writeln!(out, "{kept}")?;
    }
    print_suppressed(txt, r, out)?;
    if r.missing > 0 {
        let more = if r.missing > r.missing_sample.len() {
            ", …"
        } else {
            ""
        };
        let sample = r.missing_sample.join(", ");
        writeln!(
            out,
            "{}",
            txt.f("import.missing", &[&r.missing, &sample, &more])
        )?;
    }
    print_rejections(txt, r, out)?;
    print_outcome(txt, r, out)
}

/// Rows brought in opted out by the suppression list (count, first lines), and
/// do-not-call entries kept matching nobody.
fn print_suppressed(txt: Texts, r: &ImportReport, out: &mut impl Write) -> anyhow::Result<()> {
    if r.suppressed > 0 {
        let lines = &r.suppressed_lines;
        let shown = lines.len().min(SUPPRESSED_LINES_SHOWN);
        let list: Vec<String> = lines[..shown].iter().map(u64::to_string).collect();
        let more = if lines.len() > shown { ", …" } else { "" };
        let args = [
            &r.suppressed as &dyn std::fmt::Display,
            &list.join(", "),
            &more,
        ];
        writeln!(out, "{}", txt.f("import.suppressed", &args))?;
    }
    if r.listed > 0 {
        writeln!(out, "{}", txt.f("import.listed", &[&r.listed]))?;
    }
    Ok(())
}

/// Lines of suppressed rows named in the printed report (the JSON report has them all).
const SUPPRESSED_LINES_SHOWN: usize = 50;

/// The refused rows, then the warnings.
fn print_rejections(txt: Texts, r: &ImportReport, out: &mut impl Write) -> anyhow::Result<()> {
    if !r.errors.is_empty() {
        writeln!(out, "{}", txt.t("import.errors"))?;
        for e in &r.errors {
            let column = e
                .column
                .as_deref()
                .map(|c| txt.f("import.error.column", &[&c]))
                .unwrap_or_default();
            let value = e
                .value
                .as_deref()
                .map(|v| txt.f("import.error.value", &[&v]))
                .unwrap_or_default();
            let line = [
                &e.line as &dyn std::fmt::Display,
                &column,
                &value,
                &e.message,
                &e.code,
            ];
            writeln!(out, "{}", txt.f("import.error.line", &line))?;
        }
    }
    if !r.warnings.is_empty() {
        writeln!(out, "{}", txt.t("import.warnings"))?;
        for w in &r.warnings {
            let line = w
                .line
                .map(|l| txt.f("import.warning.line", &[&l]))
                .unwrap_or_default();
            writeln!(out, "  {line}{} [{}]", w.message, w.code)?;
        }
    }
    Ok(())
}

/// The last line: simulated, unchanged, or recorded as a batch.
fn print_outcome(txt: Texts, r: &ImportReport, out: &mut impl Write) -> anyhow::Result<()> {
    if r.dry_run {
        writeln!(out, "{}", txt.t("import.dry_run"))?;
    } else if let Some(batch) = r.same_file_as_batch.filter(|_| r.changed_nothing()) {
        writeln!(out, "{}", txt.f("import.already_imported", &[&batch]))?;
    } else if r.changed_nothing() {
        writeln!(out, "{}", txt.t("import.no_change"))?;
    } else if let Some(batch) = r.batch_id {
        writeln!(out, "{}", txt.f("import.recorded", &[&batch]))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::i18n::{tests::assert_no_french, Lang};
    use crate::import::{report::ReportWarning, FieldError};

    fn sample() -> ImportReport {
        let mut r = ImportReport {
            kind: "beneficiaries".into(),
            file: "liste.csv".into(),
            encoding: "UTF-8".into(),
            delimiter: ";".into(),
            batch_id: Some(4),
            rows: 3,
            inserted: 1,
            rejected: 1,
            enrolled: 1,
            kept_final_status: 1,
            suppressed: 2,
            suppressed_lines: vec![4, 9],
            listed: 1,
            missing: 3,
            invited: 1,
            missing_sample: vec!["80-1".into()],
            ..ImportReport::default()
        };
        r.errors.push(FieldError {
            line: 3,
            column: Some("phone".into()),
            value: Some("12".into()),
            code: "phone_invalid".into(),
            message: "bad phone".into(),
        });
        r.warnings.push(ReportWarning {
            line: Some(2),
            column: None,
            value: None,
            code: "w".into(),
            message: "a warning".into(),
        });
        r
    }

    fn printed(lang: Lang, r: &ImportReport) -> String {
        let mut out = Vec::new();
        print_import_report(Texts::new(lang), r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_report_speaks_one_language() {
        let r = sample();
        let fr = printed(Lang::Fr, &r);
        assert!(
            fr.contains("Import bénéficiaires — liste.csv (UTF-8, séparateur ;)"),
            "{fr}"
        );
        assert!(
            fr.contains("  ligne 3, colonne « phone » (« 12 ») : bad phone [phone_invalid]"),
            "{fr}"
        );
        assert!(fr.ends_with("Import enregistré (lot n° 4).\n"), "{fr}");
        assert!(
            fr.contains("importées comme opposées (jamais planifiées) : 2 — lignes 4, 9\n"),
            "{fr}"
        );
        assert!(fr.contains("sans personne correspondante : 1\n"), "{fr}");
        let en = printed(Lang::En, &r);
        assert!(en.contains("Import of beneficiaries — liste.csv"), "{en}");
        assert!(
            en.contains("imported as opted out (never planned) : 2 — rows 4, 9\n"),
            "{en}"
        );
        assert_no_french(&en);
    }
}
