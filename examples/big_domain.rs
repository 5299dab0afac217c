//! Prints the generated large domain the benchmarks use (4096 vCPUs, NUMA cells, devices),
//! for measuring whole processes: `cargo run --release --example big_domain > big.xml`.
//! An optional argument gives the size in MiB (default 10).

#[path = "../benches/support/big_domain.rs"]
mod big_domain;

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    print!("{}", big_domain::big_domain(mib * 1024 * 1024));
}
