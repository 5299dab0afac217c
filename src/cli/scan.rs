//! `virt-cpu scan -c URI [-c URI …]`: every domain of every host, its `-cpu` as that host builds
//! it, source, taints, problems, and the hosts it can start on ([`crate::scan`]).

use super::common::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, VersionArgs};
use super::print::{WriteError, outln};
use crate::catalog::versions::{Followed, Version};
use crate::check::Severity;
use crate::host::SystemRunner;
use crate::scan::{DomainScan, Scan};
use crate::visible::one_line;

#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// A libvirt host to scan (`qemu:///system`, `qemu+ssh://HOST/system`, `qemu+tls://…`,
    /// `qemu+unix:///system?socket=PATH`); repeat for more. Hosts are asked in parallel.
    #[arg(short = 'c', long = "connect", value_name = "URI", required = true)]
    pub connect: Vec<String>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Print each -cpu whole in the table (it is cut at 48 characters otherwise).
    #[arg(long)]
    pub wide: bool,
    /// How <qemu:cpu> combines with libvirt's appended options.
    #[arg(long, value_enum, default_value_t = crate::argv::Reading::Merge)]
    pub reading: crate::argv::Reading,
    /// Upgrade check: also judge each domain on its own host as libvirt X.Y would (with
    /// --to-qemu: and that QEMU), and list those whose -cpu changes or that would no longer start.
    /// An older release than a host runs works the same (a rollback, an older migration target).
    #[arg(long = "to-libvirt", value_name = "X.Y")]
    pub to_libvirt: Option<Version>,
    /// Upgrade check: the QEMU release after the upgrade or move (default: the one paired with
    /// --to-libvirt).
    #[arg(long = "to-qemu", value_name = "X.Y")]
    pub to_qemu: Option<Version>,
}

/// The width of the -cpu column without --wide.
const CPU_WIDTH: usize = 48;

pub fn run(args: &ScanArgs) -> anyhow::Result<i32> {
    let versions = VersionArgs::current();
    let opts = crate::scan::Options {
        libvirt: versions.libvirt,
        qemu: versions.qemu,
        catalog: versions.catalog.clone(),
        reading: args.reading,
        upgrade: (args.to_libvirt.is_some() || args.to_qemu.is_some())
            .then_some((args.to_libvirt, args.to_qemu)),
    };
    if let Some((l, q)) = opts.upgrade {
        // Refuse versions without a catalog before asking any host.
        crate::catalog::select::select(&crate::catalog::select::Request {
            libvirt: l,
            qemu: q,
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("--to-libvirt/--to-qemu: {e}"))?;
    }
    let scan = crate::scan::scan(&SystemRunner, &args.connect, &opts);
    if args.json {
        let doc = serde_json::json!({
            "hosts": scan.hosts,
            "domains": scan.domains,
            "upgrade_to": scan.upgrade_to,
            "pools": scan.pools,
            "summary": {
                "hosts": scan.hosts.len(),
                "hosts_failed": scan.failed_hosts(),
                "domains": scan.domains.len(),
                "domains_with_errors": scan.with_errors(),
                "upgrade_breaks": upgrade_breaks(&scan),
            },
        });
        super::print::json(&doc)?;
    } else {
        print_text(&scan, args.wide)?;
    }
    for h in scan.hosts.iter().filter(|h| h.error.is_some()) {
        super::print::errln!(
            "virt-cpu: {}: {}",
            h.label,
            h.error.as_deref().unwrap_or_default()
        );
    }
    Ok(if scan.failed_hosts() > 0 {
        EXIT_USAGE
    } else if scan.with_errors() > 0 || upgrade_breaks(&scan) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Domains that start today and would not after the upgrade.
fn upgrade_breaks(scan: &Scan) -> usize {
    scan.domains
        .iter()
        .filter(|d| d.errors == 0 && d.upgrade.as_ref().is_some_and(|u| !u.starts))
        .count()
}

fn label_of<'a>(scan: &'a Scan, uri: &'a str) -> &'a str {
    scan.hosts
        .iter()
        .find(|h| h.uri == uri)
        .map_or(uri, |h| h.label.as_str())
}

/// Where the domain starts, as host labels: `~` after one where it starts without part of its
/// CPU; `none` when nowhere; hosts that did not answer are left out.
fn starts_on(scan: &Scan, d: &DomainScan) -> String {
    let on: Vec<String> = d
        .placements
        .iter()
        .filter(|p| p.starts == Some(true))
        .map(|p| {
            let l = label_of(scan, &p.host);
            if p.lacks.is_empty() {
                l.to_string()
            } else {
                format!("{l}~")
            }
        })
        .collect();
    if on.is_empty() {
        "none".into()
    } else {
        on.join(" ")
    }
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

fn print_text(scan: &Scan, wide: bool) -> Result<(), WriteError> {
    print_hosts(scan)?;
    outln!("")?;
    print_table(scan, wide)?;
    print_problems(scan)?;
    print_pools(scan)?;
    print_upgrade(scan)?;
    outln!("")?;
    outln!(
        "{} host(s), {} failed; {} domain(s), {} with errors. STARTS ON: hosts where libvirt would start it (~: without some of its CPU features)",
        scan.hosts.len(),
        scan.failed_hosts(),
        scan.domains.len(),
        scan.with_errors()
    )?;
    Ok(())
}

/// One line a host: its versions and catalog, its domain count and time, or its error.
fn print_hosts(scan: &Scan) -> Result<(), WriteError> {
    for h in &scan.hosts {
        let what = match (&h.error, &h.follows) {
            (Some(e), _) => format!("error: {e}"),
            (None, f) => {
                let v = |v: Option<Version>| v.map_or("?".into(), |v| v.to_string());
                let follows = f
                    .as_ref()
                    .map(|f| format!(" (catalog {} + {})", f.libvirt.line(), f.qemu.line()))
                    .unwrap_or_default();
                format!(
                    "libvirt {} + QEMU {}{follows}, {} domain(s), {:.2} s",
                    v(h.libvirt),
                    v(h.qemu),
                    h.domains,
                    h.seconds
                )
            }
        };
        outln!("{:<6} {}: {}", h.label, one_line(&h.uri), one_line(&what))?;
        if let Some(note) = h.follows.as_ref().and_then(|f| f.note.as_deref()) {
            outln!("       note: {}", one_line(note))?;
        }
    }
    Ok(())
}

/// The table: a row a domain on a host.
fn print_table(scan: &Scan, wide: bool) -> Result<(), WriteError> {
    let header = [
        "HOST",
        "DOMAIN",
        "STATE",
        "SOURCE",
        "-CPU",
        "TAINTS",
        "ERR/WARN",
        "STARTS ON",
    ];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for d in &scan.domains {
        let source = match (d.source, &d.mode) {
            (Some("cpu"), Some(m)) => format!("cpu/{m}"),
            (Some(s), _) => s.to_string(),
            (None, _) => "-".into(),
        };
        let value = match (&d.error, &d.value) {
            (Some(_), _) => "(not read)".to_string(),
            (None, Some(v)) => one_line(v).into_owned(),
            (None, None) => "(none)".into(),
        };
        let taints = if d.taints.is_empty() {
            "-".to_string()
        } else {
            d.taints
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(",")
        };
        rows.push([
            label_of(scan, &d.host).to_string(),
            one_line(&d.name).into_owned(),
            one_line(&d.state).into_owned(),
            source,
            if wide { value } else { cut(&value, CPU_WIDTH) },
            taints,
            if d.error.is_some() {
                "-".into()
            } else {
                format!("{}/{}", d.errors, d.warnings)
            },
            starts_on(scan, d),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w - c.chars().count() + 2));
            }
        }
        s
    };
    outln!("{}", line(&header.map(String::from)))?;
    for r in &rows {
        outln!("{}", line(r))?;
    }
    Ok(())
}

/// The problems, below the table: one line each.
fn print_problems(scan: &Scan) -> Result<(), WriteError> {
    let mut said = false;
    for d in &scan.domains {
        let who = format!("{}/{}", label_of(scan, &d.host), one_line(&d.name));
        let mut lines = Vec::new();
        if let Some(e) = &d.error {
            lines.push(format!("{who}: {}", one_line(e)));
        }
        for diag in d
            .diagnostics
            .iter()
            .filter(|x| x.severity != Severity::Info)
        {
            lines.push(format!(
                "{who}: {}[{}]: {}",
                diag.severity,
                diag.code,
                one_line(&diag.message)
            ));
        }
        for p in &d.placements {
            if p.host == d.host || p.starts != Some(false) {
                continue;
            }
            let reasons = if p.reasons.is_empty() {
                "its capabilities could not be read".to_string()
            } else {
                one_line(&p.reasons.join("; ")).into_owned()
            };
            lines.push(format!(
                "{who}: does not start on {}: {reasons}",
                label_of(scan, &p.host)
            ));
        }
        // Somewhere it does not start, or starts without part of its CPU: what every host runs.
        let short = d
            .placements
            .iter()
            .any(|p| p.starts == Some(false) || !p.lacks.is_empty());
        if let Some(m) = d.move_to.as_ref().filter(|_| short && scan.hosts.len() > 1) {
            let loses = if m.loses.is_empty() {
                "loses none of its features".to_string()
            } else {
                format!("loses {}", m.loses.join(", "))
            };
            lines.push(format!(
                "{who}: the model every host runs closest to its CPU: {} ({loses})",
                one_line(&m.model)
            ));
        } else if d.only_32bit_pool && short && scan.hosts.len() > 1 {
            lines.push(format!(
                "{who}: no model every host runs fits it: they are 32-bit only (no lm, long mode) and it is a 64-bit guest"
            ));
        }
        if !lines.is_empty() && !said {
            outln!("")?;
            said = true;
        }
        for l in lines {
            outln!("{l}")?;
        }
    }
    Ok(())
}

/// With several hosts: the models every host runs, per virt type and architecture.
fn print_pools(scan: &Scan) -> Result<(), WriteError> {
    if scan.hosts.len() > 1 {
        for p in &scan.pools {
            let names: Vec<String> = p
                .models
                .iter()
                .map(|m| match m.only_32bit {
                    true => format!("{} (32-bit only)", m.name),
                    false => m.name.clone(),
                })
                .collect();
            outln!("")?;
            outln!(
                "models every host runs ({} guests, {}), most features first: {}",
                p.virt_type,
                p.arch,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(" ")
                }
            )?;
            match p.phys_bits {
                Some(n) => outln!(
                    "lowest physical address bits of those hosts: {n} (<maxphysaddr mode='emulate' bits='{n}'/> or less is accepted on every one)"
                )?,
                None => outln!(
                    "lowest physical address bits of those hosts: unknown (a host does not say)"
                )?,
            }
        }
    }
    Ok(())
}

/// With `--to-libvirt`/`--to-qemu`: what changes after that upgrade, or after moving to that
/// older release (a rollback, an older host to migrate to).
fn print_upgrade(scan: &Scan) -> Result<(), WriteError> {
    let Some(to) = &scan.upgrade_to else {
        return Ok(());
    };
    outln!("")?;
    outln!("{}:", upgrade_heading(scan, to))?;
    let mut any = false;
    for d in &scan.domains {
        let Some(u) = &d.upgrade else { continue };
        let who = format!("{}/{}", label_of(scan, &d.host), one_line(&d.name));
        if !u.new_errors.is_empty() {
            any = true;
            outln!(
                "{who}: would no longer start: {}",
                one_line(&u.new_errors.join("; "))
            )?;
        }
        for note in &u.notes {
            any = true;
            outln!("{who}: note: {}", one_line(note))?;
        }
        // A domain that no longer starts has no -cpu to show then.
        if u.value_changes && u.value.is_some() {
            any = true;
            outln!("{who}: -cpu {}", cpu_change(&d.value, &u.value))?;
        }
    }
    if !any {
        outln!("no domain changes")?;
    }
    Ok(())
}

/// What changed in a domain's `-cpu`, in short (`+mpx=off`, `vmx=on->off`, `model A -> B`): the
/// whole values are long and alike, and --json has both. Whole values when either does not parse.
fn cpu_change(before: &Option<String>, after: &Option<String>) -> String {
    let q = &crate::catalog::Catalog::embedded().qemu;
    let changes = before
        .as_deref()
        .zip(after.as_deref())
        .and_then(|(b, a)| crate::catalog::qemu_cpu_string::changes(b, a, q));
    match changes {
        Some(c) if c.is_empty() => "changes only in how it is written (same properties)".into(),
        Some(c) => format!("changes: {}", one_line(&c.join(", "))),
        None => {
            let v = |v: &Option<String>| {
                v.as_deref()
                    .map_or("(none)".into(), |v| one_line(v).into_owned())
            };
            format!("{} -> {}", v(before), v(after))
        }
    }
}

/// "after an upgrade to libvirt X + QEMU Y", or, when the release is older than a host runs,
/// "after moving to …" with the hosts it is older for.
fn upgrade_heading(scan: &Scan, to: &Followed) -> String {
    let target = format!("libvirt {} + QEMU {}", to.libvirt.line(), to.qemu.line());
    let follows = || {
        scan.hosts
            .iter()
            .filter_map(|h| Some((h.label.as_str(), h.follows.as_ref()?)))
    };
    let older: Vec<&str> = follows()
        .filter(|(_, now)| crate::scan::upgrade::is_older(to, now))
        .map(|(label, _)| label)
        .collect();
    if !older.is_empty() {
        format!(
            "after moving to {target} (older than {} runs: a rollback, or an older host to migrate to)",
            older.join(", ")
        )
    } else if follows().next().is_none()
        || follows().any(|(_, now)| crate::scan::upgrade::is_newer(to, now))
    {
        format!("after an upgrade to {target}")
    } else {
        format!("as {target} would build them (the release the hosts run)")
    }
}
