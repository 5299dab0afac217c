//! `virt-cpu models --for FILE` and `--for-domain NAME`: the model of a migration pool a domain
//! could move to without losing a CPU feature it uses on its own host.
//!
//! A file and a domain name are two options, as the interactive view's FILE and `--domain NAME`
//! are: a name is never guessed to be a file or the other way round (a domain called `db.xml`,
//! a file called `db`). The file's host is the first host of the pool; a domain's is the host
//! that holds it — the one `-c` host with a domain of that name, or `--from URI`, which may be a
//! host outside the pool (the domain then moves into it).

use super::models::{Explore, ModelsArgs};
use super::print::{errln, outln};
use crate::catalog::Catalog;
use crate::host::{DomCaps, HostError, SystemRunner};
use crate::store::{self, Loaded, Origin};
use serde::Serialize;

/// `models --for FILE`: the domain read from a file, judged on the first host.
pub fn file(args: &ModelsArgs, path: &std::path::Path) -> anyhow::Result<i32> {
    let loaded = store::open(path)?;
    // The first host is the domain's: asked about its machine type when it is a -c host.
    let first_live = args.source.host_caps.is_empty().then_some(0);
    let ctx = args.source.load_for(Some(&loaded.domain), first_live)?;
    let (Some(caps), Some(catalog)) = (ctx.hosts.first(), ctx.catalogs.first()) else {
        return Ok(needs_hosts());
    };
    let own = Own {
        label: ctx.labels[0].clone(),
        catalog,
        caps,
    };
    move_for(
        &ctx,
        &loaded,
        &path.display().to_string(),
        &own,
        args.source.json,
    )
}

/// `models --for-domain NAME`: the domain's definition from the host that holds it, judged there.
pub fn domain(args: &ModelsArgs, name: &str) -> anyhow::Result<i32> {
    let connect = &args.source.connect;
    if connect.is_empty() && args.source.host_caps.is_empty() {
        return Ok(needs_hosts());
    }
    let candidates: Vec<String> = match &args.from {
        Some(uri) => vec![uri.clone()],
        None => connect.clone(),
    };
    if candidates.is_empty() {
        anyhow::bail!(
            "--for-domain {name}: which host holds it? Give -c URI (a host of the pool) or --from URI"
        );
    }
    let (uri, loaded) = find(&candidates, name)?;
    let in_pool = connect.iter().position(|c| *c == uri);
    let ctx = args.source.load_for(Some(&loaded.domain), in_pool)?;
    let shown = name.to_string();
    // The hosts of the pool: the --host-caps files first, then the -c URIs.
    match in_pool.map(|k| args.source.host_caps.len() + k) {
        Some(k) => {
            let own = Own {
                label: ctx.labels[k].clone(),
                catalog: ctx.catalogs[k],
                caps: &ctx.hosts[k],
            };
            move_for(&ctx, &loaded, &shown, &own, args.source.json)
        }
        // A host outside the pool: its own versions and capabilities for this domain.
        None => {
            let selected = super::common::VersionArgs::current().select(Some(&uri))?;
            let caps = DomCaps::for_domain(&SystemRunner, Some(&uri), &loaded.domain)
                .map_err(|e| super::common::libvirt_error(&uri, &e))?;
            let own = Own {
                label: uri.clone(),
                catalog: selected.catalog,
                caps: &caps,
            };
            move_for(&ctx, &loaded, &shown, &own, args.source.json)
        }
    }
}

fn needs_hosts() -> i32 {
    errln!(
        "virt-cpu: models --for and --for-domain need the hosts: -c URI or --host-caps FILE, repeated"
    );
    2
}

/// The one host of `uris` that has a domain `name` (asked at once, each virsh bounded by the
/// host timeout), with its inactive definition.
fn find(uris: &[String], name: &str) -> anyhow::Result<(String, Loaded)> {
    let asked: Vec<Result<String, HostError>> = std::thread::scope(|s| {
        let each: Vec<_> = uris
            .iter()
            .map(|uri| s.spawn(move || store::libvirt::dumpxml(&SystemRunner, Some(uri), name)))
            .collect();
        each.into_iter()
            .map(|h| h.join().expect("dumpxml thread"))
            .collect()
    });
    let mut found = Vec::new();
    for (uri, answer) in uris.iter().zip(asked) {
        match answer {
            Ok(xml) => found.push((uri.clone(), xml)),
            Err(e) if not_there(&e) => {}
            Err(e) => return Err(anyhow::anyhow!("cannot ask {uri} for domain {name}: {e}")),
        }
    }
    let listed = uris.join(", ");
    match found.len() {
        0 => anyhow::bail!("no domain '{name}' on {listed}"),
        1 => {}
        _ => {
            let on: Vec<&str> = found.iter().map(|(u, _)| u.as_str()).collect();
            anyhow::bail!(
                "a domain '{name}' is on {}: say which with --from URI",
                on.join(" and ")
            )
        }
    }
    let (uri, xml) = found.remove(0);
    let loaded = store::load::from_bytes(
        xml.into_bytes(),
        &format!("domain {name}"),
        Origin::Libvirt { name: name.into() },
    )?;
    Ok((uri, loaded))
}

/// libvirt's "no such domain" (`virsh dumpxml` of a name it does not have), not a failure.
fn not_there(e: &HostError) -> bool {
    matches!(e, HostError::Failed { stderr, .. }
        if stderr.contains("Domain not found") || stderr.contains("failed to get domain"))
}

/// The domain's own host: where its `-cpu`, and so what it uses, is read.
struct Own<'a> {
    label: String,
    catalog: &'a Catalog,
    caps: &'a DomCaps,
}

/// What `models --for` and `--for-domain` answer.
#[derive(Serialize)]
struct MoveFor {
    domain: String,
    /// The domain's own host, whose `-cpu` the domain's use is read from.
    host: String,
    value: Option<String>,
    /// The features (QEMU names) its CPU has there, the host's only.
    uses: Vec<String>,
    pool_size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    move_to: Option<crate::scan::pool::MoveTo>,
    /// Why there is no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    none: Option<String>,
}

/// The pool's model closest to what the domain's CPU gives it on its own host
/// ([`crate::scan::pool::move_to`], as `scan` says per domain). Exit 0 when a model loses
/// nothing, 1 when every one loses something or none is there.
fn move_for(
    ctx: &Explore<'static>,
    loaded: &Loaded,
    shown: &str,
    own: &Own,
    json: bool,
) -> anyhow::Result<i32> {
    use crate::scan::pool;
    let dom = &loaded.domain;
    let caps = crate::argv::QemuCaps::from_catalog(dom, own.catalog).with_host(own.caps);
    let report = crate::check::check(
        &loaded.doc,
        dom,
        &caps,
        own.catalog,
        crate::argv::Reading::Merge,
    );
    let value = report.arg.value.clone();
    let uses = value
        .as_deref()
        .and_then(|v| pool::guest_uses(v, own.catalog, dom.virt_type != "kvm", Some(own.caps)));
    let hosts: Vec<(&Catalog, &DomCaps)> = ctx.catalogs.iter().copied().zip(&ctx.hosts).collect();
    let the_pool = pool::pool(&dom.virt_type, dom.guest_arch(), &hosts);
    let moved = uses.as_ref().and_then(|u| pool::move_to(&the_pool, u));
    let none = match (&value, &uses, &moved) {
        (None, _, _) => Some("libvirt gives it no -cpu on its host (see `virt-cpu check`)"),
        (Some(_), None, _) => {
            Some("its CPU is the host's (host-passthrough, maximum, host, max) or unknown")
        }
        (_, _, None) if the_pool.only_32bit_for_64bit_guests() => Some(
            "the models every host runs are 32-bit only (they lack lm, long mode): a 64-bit (x86_64) guest does not boot on any of them",
        ),
        (_, _, None) => Some("no model is named alike and usable on every host"),
        _ => None,
    };
    let answer = MoveFor {
        domain: shown.to_string(),
        host: own.label.clone(),
        value,
        uses: uses.map(|u| u.into_iter().collect()).unwrap_or_default(),
        pool_size: the_pool.models.len(),
        move_to: moved,
        none: none.map(str::to_string),
    };
    let keeps_all = answer.move_to.as_ref().is_some_and(|m| m.loses.is_empty());
    match json {
        true => super::print::json(&answer)?,
        false => print_move_for(&answer)?,
    }
    Ok(if keeps_all { 0 } else { 1 })
}

/// The answer in words: the model, what it loses, the domain's `-cpu`.
fn print_move_for(answer: &MoveFor) -> Result<(), super::print::WriteError> {
    let shown = crate::visible::one_line(&answer.domain);
    let host = crate::visible::one_line(&answer.host);
    match (&answer.move_to, &answer.none) {
        (Some(m), _) if m.loses.is_empty() => outln!(
            "{shown}: {} — loses none of the {} features its CPU has on {host}, adds {} (of {} models every host runs)",
            m.model,
            answer.uses.len(),
            m.gains,
            answer.pool_size
        )?,
        (Some(m), _) => outln!(
            "{shown}: every model every host runs loses some of what its CPU has on {host}; the fewest: {} loses {}",
            m.model,
            m.loses.join(" ")
        )?,
        (None, Some(why)) => outln!("{shown}: no model to move to: {why}")?,
        (None, None) => {}
    }
    if let Some(v) = &answer.value {
        outln!("its -cpu on {host}: {}", crate::visible::one_line(v))?;
    }
    Ok(())
}
