// Less common mistakes in `#[pooled(...)]` arguments.
use fastalloc::pooled;

#[pooled(capacity = 100000000000000000000000000000000000000000)]
#[derive(Default)]
struct FarTooLarge;

#[pooled(capacity = 8, growth = 5)]
#[derive(Default)]
struct GrowthNotAPolicy;

#[pooled(capacity = 8, growth = linear(-(3)))]
#[derive(Default)]
struct NegativeStep;

#[pooled(capacity = 8, factory = 3)]
#[derive(Default)]
struct FactoryNotAPath;

#[pooled(capacity = 8, max_capacity = )]
#[derive(Default)]
struct MissingValue;

fn main() {}
