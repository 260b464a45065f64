use sluice_engine::*;
use std::io::Read;
struct Noop(u64);
impl Job for Noop {
    fn field(&mut self, _i: usize, raw: &[u8]) -> Flow {
        self.0 += raw.len() as u64;
        Flow::Next
    }
    fn row(&mut self, _r: &Row<'_>, _o: &mut Vec<u8>) -> Outcome {
        Outcome::Selected
    }
}
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut f = std::fs::File::open(path).unwrap();
    let mut e = Engine::new(Dialect::default(), Noop(0));
    let mut buf = vec![0u8; 1 << 20];
    let t = std::time::Instant::now();
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        e.feed(&buf[..n]).unwrap();
    }
    let c = e.finish().unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} rows {} GB/s {}",
        c.rows,
        e.bytes() as f64 / 1e9 / s,
        e.job().0
    );
}
