//! `#[pooled]` pools in the registry: named after their type's path, listed once first used.
//!
//! Its own test binary, so that no other test uses these types' pools first.

use fastalloc::registry;

mod net {
    use fastalloc::{pooled, Reset};

    #[pooled(capacity = 4, thread_safe)]
    #[derive(Default, Reset)]
    pub(crate) struct Frame {
        pub(crate) bytes: Vec<u8>,
    }

    #[pooled(capacity = 2)]
    #[derive(Default, Reset)]
    pub(crate) struct Scratch {
        pub(crate) words: Vec<String>,
    }

    #[pooled(capacity = 1, async)]
    #[derive(Default, Reset)]
    pub(crate) struct Reply {
        pub(crate) body: String,
    }
}

#[test]
fn a_pooled_pool_appears_under_its_type_path_once_first_used() {
    let frame = format!("{}::net::Frame", module_path!());
    let scratch = format!("{}::net::Scratch", module_path!());
    let reply = format!("{}::net::Reply", module_path!());
    assert_eq!(frame, "pooled_registry::net::Frame");
    for name in [&frame, &scratch, &reply] {
        assert!(
            registry::snapshot().get(name).is_none(),
            "{name} before first use"
        );
    }

    let mut held = net::Frame::pool().allocate().unwrap();
    held.bytes.push(1);
    let snapshot = registry::snapshot();
    let stats = snapshot.get(&frame).expect("listed once used");
    assert_eq!((stats.capacity, stats.in_use), (4, 1));
    assert!(snapshot.get(&scratch).is_none(), "Scratch is not used yet");
    assert_eq!(net::Frame::pool().name(), Some(frame.as_str()));
    assert!(format!("{:?}", net::Frame::pool()).contains(&frame));

    // The thread-local pool, built on first use by whichever thread comes first.
    std::thread::spawn(|| drop(net::Scratch::pool().allocate().unwrap()))
        .join()
        .unwrap();
    let stats = *registry::snapshot()
        .get(&scratch)
        .expect("listed once used");
    assert_eq!((stats.allocations, stats.releases), (1, 1));
    assert_eq!(net::Scratch::pool().name(), Some(scratch.as_str()));

    futures::executor::block_on(async {
        let body = net::Reply::pool().allocate().await.unwrap();
        assert_eq!(registry::snapshot().get(&reply).unwrap().in_use, 1);
        drop(body);
    });
    assert_eq!(registry::snapshot().get(&reply).unwrap().releases, 1);
    drop(held);
}
