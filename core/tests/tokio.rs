//! Async handlers that do real tokio I/O: a pool whose workers enter a tokio
//! runtime (`TokioSpawner`) talks to a TCP echo server on 127.0.0.1.
#![cfg(feature = "tokio")]

use std::time::Duration;

use brigade::pool::TokioSpawner;
use brigade::{Context, Pool};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[test]
fn async_handlers_use_tokio_sockets_and_timers_inside_the_pool() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The echo server runs on the runtime's own thread.
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                let n = conn.read(&mut buf).await.unwrap();
                conn.write_all(&buf[..n]).await.unwrap();
            });
        }
    });

    let pool = Pool::builder()
        .workers(2)
        .spawner(TokioSpawner::new(rt.handle().clone()))
        .build_async(move |msg: &String, _: &Context| {
            let msg = msg.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let mut conn = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                conn.write_all(msg.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                let mut reply = String::new();
                conn.read_to_string(&mut reply)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(reply)
            }
        })
        .unwrap();
    let handles: Vec<_> = (0..20)
        .map(|i| pool.run(format!("hello {i}")).unwrap())
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait().unwrap().result, Ok(format!("hello {i}")));
    }
    pool.close();
    pool.join().unwrap();
}
