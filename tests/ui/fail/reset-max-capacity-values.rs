// `#[reset(max_capacity = N)]` with a value that is not a capacity, or given twice: one error
// each, all in one round, on the offending tokens.
use fastalloc::Reset;

#[derive(Reset)]
struct Values {
    #[reset(max_capacity)]
    missing: Vec<u8>,
    #[reset(max_capacity = "1024")]
    quoted: Vec<u8>,
    #[reset(max_capacity = "big")]
    words: Vec<u8>,
    #[reset(max_capacity = 1.5)]
    float: Vec<u8>,
    #[reset(max_capacity = -1)]
    negative: Vec<u8>,
    #[reset(max_capacity = 64u32)]
    suffixed: Vec<u8>,
    #[reset(max_capacity = 64, skip, max_capacity = 128)]
    twice: Vec<u8>,
    #[reset(max_capacity = 64)]
    #[reset(max_capacity = 64)]
    twice_split: Vec<u8>,
}

fn main() {}
