//! Records flowing through parse, transform and aggregate stages, with the records held by a
//! `GrowingPool`: the pool grows while batches get bigger, stops at `max_capacity`, and then
//! serves every later batch from objects it already built.
//!
//! Run it with `cargo run --release --example etl_pipeline`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use fastalloc::{GrowingPool, Growth, PoolError, Pooled, Reset};

/// One sales record. Its strings keep their capacity from one use to the next.
#[derive(Debug, Default)]
struct Record {
    day: u32,
    region: String,
    product: String,
    quantity: u32,
    unit_price_cents: u64,
    total_cents: u64,
}

impl Reset for Record {
    fn reset(&mut self) {
        self.day = 0;
        self.region.clear();
        self.product.clear();
        self.quantity = 0;
        self.unit_price_cents = 0;
        self.total_cents = 0;
    }
}

/// The sizes of the batches that arrive, one after another: they rise, then settle.
const BATCHES: [usize; 10] = [10, 40, 90, 150, 300, 200, 300, 120, 300, 250];
const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
const PRODUCTS: [&str; 5] = ["apples", "pears", "plums", "figs", "kiwis"];

/// The raw input of batch `batch`: one CSV line per record, a few of them malformed.
fn input(batch: usize, len: usize) -> String {
    let mut text = String::new();
    for i in 0..len {
        let n = batch * 1000 + i;
        if n % 97 == 0 {
            text.push_str("corrupted line\n");
            continue;
        }
        let region = REGIONS[n % REGIONS.len()];
        let product = PRODUCTS[(n / 3) % PRODUCTS.len()];
        let _ = writeln!(
            text,
            "{},{region},{product},{},{}",
            n % 28 + 1,
            n % 9 + 1,
            50 + n % 250
        );
    }
    text
}

/// Parse: fills a pooled record from one line, or `None` for a line that does not parse (the
/// record goes straight back to the pool).
fn parse<'p>(
    pool: &'p GrowingPool<Record>,
    line: &str,
) -> Result<Option<Pooled<'p, Record>>, PoolError> {
    let mut record = pool.allocate()?;
    let mut fields = line.split(',');
    let (Some(day), Some(region), Some(product), Some(quantity), Some(price)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Ok(None);
    };
    let (Ok(day), Ok(quantity), Ok(price)) = (day.parse(), quantity.parse(), price.parse()) else {
        return Ok(None);
    };
    record.day = day;
    record.region.push_str(region);
    record.product.push_str(product);
    record.quantity = quantity;
    record.unit_price_cents = price;
    Ok(Some(record))
}

/// Transform: normalises the region in place and computes the total.
fn transform(record: &mut Record) {
    record.region.make_ascii_uppercase();
    record.total_cents = u64::from(record.quantity) * record.unit_price_cents;
}

/// Aggregate: revenue per (region, product), and the latest day seen.
fn aggregate(records: &[Pooled<'_, Record>], run: &mut Run) {
    for record in records {
        *run.totals
            .entry((record.region.clone(), record.product.clone()))
            .or_default() += record.total_cents;
        run.latest_day = run.latest_day.max(record.day);
    }
}

/// What one run of the pipeline did.
struct Run {
    rejected: usize,
    early_flushes: usize,
    latest_day: u32,
    totals: BTreeMap<(String, String), u64>,
}

/// Runs every batch through the three stages. The records of a batch are held until the batch
/// is aggregated, so the pool must hold a whole batch; when it is at its maximum the batch is
/// aggregated early, in parts. `on_batch` is called after each batch with its size.
fn run(pool: &GrowingPool<Record>, mut on_batch: impl FnMut(usize)) -> Result<Run, PoolError> {
    let mut run = Run {
        rejected: 0,
        early_flushes: 0,
        latest_day: 0,
        totals: BTreeMap::new(),
    };
    for (batch, &len) in BATCHES.iter().enumerate() {
        let text = input(batch, len);
        let mut held: Vec<Pooled<'_, Record>> = Vec::with_capacity(len);
        for line in text.lines() {
            let record = match parse(pool, line) {
                Err(PoolError::Exhausted { .. }) => {
                    // Every record is held and the pool may not grow: aggregate what we have,
                    // which returns those records to the pool, and go on.
                    aggregate(&held, &mut run);
                    held.clear();
                    run.early_flushes += 1;
                    parse(pool, line)?
                }
                other => other?,
            };
            match record {
                Some(mut record) => {
                    transform(&mut record);
                    held.push(record);
                }
                None => run.rejected += 1,
            }
        }
        aggregate(&held, &mut run);
        drop(held); // every record of the batch goes back, reset, for the next batch
        on_batch(len);
    }
    Ok(run)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("== A GrowingPool of records: starts at 16, doubles, at most 256 ==");
    let pool = GrowingPool::<Record>::builder()
        .capacity(16)
        .growth(Growth::Exponential(2.0))
        .max_capacity(256)
        .build()?;
    println!("batch size | capacity | growths | records built so far");
    let result = run(&pool, |len| {
        let stats = pool.stats();
        println!(
            "{len:>10} | {:>8} | {:>7} | {:>20}",
            pool.capacity(),
            stats.growths,
            stats.created
        );
    })?;
    println!(
        "rejected lines: {}; batches aggregated early because the pool was at max_capacity \
         ({}): {}",
        result.rejected,
        pool.max_capacity(),
        result.early_flushes
    );
    println!("{}", pool.stats());
    let records: usize = BATCHES.iter().sum();
    println!(
        "{records} input lines, {} record objects built",
        pool.stats().created
    );
    println!(
        "revenue by region and product, days 1 to {} (first 4 rows):",
        result.latest_day
    );
    for ((region, product), cents) in result.totals.iter().take(4) {
        println!("  {region:<5} {product:<6} {:>9.2}", cents_to_units(*cents));
    }

    println!("\n== Growth::Linear(16) against Growth::Exponential(2.0), no maximum ==");
    let linear = GrowingPool::<Record>::new(16, Growth::Linear(16))?;
    let exponential = GrowingPool::<Record>::new(16, Growth::Exponential(2.0))?;
    let mut linear_capacities = Vec::new();
    let mut exponential_capacities = Vec::new();
    let linear_run = run(&linear, |_| linear_capacities.push(linear.capacity()))?;
    let exponential_run = run(&exponential, |_| {
        exponential_capacities.push(exponential.capacity());
    })?;
    assert_eq!(linear_run.totals, exponential_run.totals);
    assert_eq!(linear_run.totals, result.totals);
    println!("batch size | linear capacity | exponential capacity");
    for ((len, lin), exp) in BATCHES
        .iter()
        .zip(&linear_capacities)
        .zip(&exponential_capacities)
    {
        println!("{len:>10} | {lin:>15} | {exp:>20}");
    }
    for (name, pool) in [("linear", &linear), ("exponential", &exponential)] {
        let stats = pool.stats();
        println!(
            "{name:<11}: {} growths, capacity {}, {} records built, {} slots never used",
            stats.growths,
            stats.capacity,
            stats.created,
            stats.capacity as u64 - stats.created
        );
    }

    println!("\n== Without a pool: a new Record for every line ==");
    // Timed runs print nothing: a fresh pool like the first one, then the same work without.
    let fresh = GrowingPool::<Record>::builder()
        .capacity(16)
        .max_capacity(256)
        .build()?;
    let started = Instant::now();
    run(&fresh, |_| {})?;
    let pooled_time = started.elapsed();
    let started = Instant::now();
    let mut built = 0usize;
    let mut plain_totals: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (batch, &len) in BATCHES.iter().enumerate() {
        let text = input(batch, len);
        let held: Vec<Record> = text.lines().filter_map(parse_unpooled).collect();
        built += held.len();
        for record in &held {
            *plain_totals
                .entry((record.region.clone(), record.product.clone()))
                .or_default() += record.total_cents;
        }
    }
    assert_eq!(plain_totals, result.totals);
    println!(
        "{built} records built, each with two new strings (the pooled run built {})",
        pool.stats().created
    );
    println!(
        "informal wall-clock time of one run on this machine (not a benchmark; it varies from \
         run to run): pooled {:.1?}, without a pool {:.1?}",
        pooled_time,
        started.elapsed()
    );
    Ok(())
}

/// The same parse and transform, building a fresh `Record` each time.
fn parse_unpooled(line: &str) -> Option<Record> {
    let mut fields = line.split(',');
    let (Some(day), Some(region), Some(product), Some(quantity), Some(price)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let mut record = Record {
        day: day.parse().ok()?,
        region: region.to_owned(),
        product: product.to_owned(),
        quantity: quantity.parse().ok()?,
        unit_price_cents: price.parse().ok()?,
        total_cents: 0,
    };
    transform(&mut record);
    Some(record)
}

#[allow(clippy::cast_precision_loss)] // display only
fn cents_to_units(cents: u64) -> f64 {
    cents as f64 / 100.0
}
