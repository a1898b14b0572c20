//! The paired measurement both proto benches use.

use std::time::{Duration, Instant};

/// Paired measurement: batches of `a` and `b` alternate for about `budget`, so that both see
/// the same machine load. Returns the median time of one call of each and the median of the
/// per-pair ratios `b / a`.
pub fn paired(budget: Duration, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64, f64) {
    let batch = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..4 {
            f();
        }
        t.elapsed().as_secs_f64() / 4.0
    };
    for _ in 0..3 {
        a();
        b();
    }
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    while start.elapsed() < budget || ratios.len() < 21 {
        let x = batch(&mut a);
        let y = batch(&mut b);
        ta.push(x);
        tb.push(y);
        ratios.push(y / x);
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (mid(ta), mid(tb), mid(ratios))
}
