//! The `gongfang` binary: everything it does lives in [`gongfang::cli`].

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    gongfang::cli::run().await
}
