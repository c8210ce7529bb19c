//! The PostgreSQL store of the jotter write-behind cache: [`PostgresStore`]
//! keeps the cache's data in plain tables of a PostgreSQL database and
//! applies the engine's batches under the conditional-write rules of the
//! [`jotter::Store`] trait (the same rules, case for case, as
//! [`jotter::MemoryStore`] and the SQLite store).
//!
//! # Layout
//!
//! - `lib.rs` (here): [`PostgresStore`], its [`PostgresOptions`], the pool,
//!   and the [`jotter::Store`] implementation.
//! - `write.rs`: one batch as pipelined, set-based, conditional statements.
//! - `read.rs`: loads and listings, one statement each.
//! - `schema.rs`: the tables and their versioned migrations ([`migrate`]).
//! - `collect.rs`: dropping bookkeeping rows below the engine's horizon.
//! - `key_index.rs`: how keys, fields and members of any length are
//!   indexed (a 512-byte prefix and a SHA-256 beyond it).
//! - `error.rs`: [`PgError`], sorted by SQLSTATE and driver error into
//!   unavailable, transient and permanent.
//! - `mapping.rs`: [`MappedStore`], which writes keys matching a
//!   [`Mapping`] into the user's own tables and the rest into this store.
//!
//! # What it guarantees
//!
//! - **All or nothing, in one round trip.** A batch is one transaction whose
//!   statements are pipelined; any error rolls the whole batch back.
//! - **No regression.** Every row carries the version of the write that made
//!   it and every statement compares versions in SQL, so retries, replays
//!   and several workers never put an older value over a newer one; deletes
//!   and removed fields leave versioned tombstones.
//! - **Every key Redis takes.** Keys, hash fields and sorted-set members of
//!   any length (up to Redis's 512 MB) are stored; the columns hold their
//!   full bytes, readable by plain SQL.
//! - **Durability of PostgreSQL.** A batch is acknowledged after its
//!   `COMMIT` returns, with the server's `synchronous_commit` setting.
//! - **Sorted errors.** See [`PgError`]: refused and lost connections and
//!   server restarts are unavailable (the engine waits for the database and
//!   probes it with [`PostgresStore`]'s `SELECT 1`); serialization failures,
//!   deadlocks and lock or statement timeouts are transient; data the
//!   database refuses is permanent, with its own message.
//! - **A connection left mid-batch is never reused.** If a write's future is
//!   dropped before its transaction ended, its connection is closed, not
//!   returned to the pool.
//!
//! # TLS
//!
//! A URL with `sslmode=require` connects over TLS (encrypted, the
//! certificate not checked, as libpq's `require`) when built with the `tls`
//! feature, and is refused with an error saying so otherwise;
//! `sslmode=prefer` (the default) connects without TLS. `sslmode=verify-ca`
//! checks that the server's certificate chains to a trusted root, and
//! `sslmode=verify-full` also that it names the host; the roots are the PEM
//! file of `sslrootcert=PATH`, or the system's CA bundle without it (or
//! with `sslrootcert=system`).
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), jotter::StoreError> {
//! use jotter_postgres::{PostgresOptions, PostgresStore};
//!
//! let store = PostgresStore::connect_with(
//!     "postgres://postgres@127.0.0.1/app",
//!     PostgresOptions::default().with_pool_size(4),
//! )
//! .await?;
//! let cache = jotter::Cache::builder(store).build().await.expect("cache");
//! cache.put("user:42", "Ada").await.expect("put");
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use jotter::{Entry, Listing, Page, Store, StoreError, Write};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Config, NoTls};

mod collect;
mod error;
mod key_index;
mod mapping;
mod read;
mod schema;
mod ssl;
#[cfg(feature = "tls")]
mod tls;
mod write;

pub use error::{PgError, is_transient_sqlstate, sqlstate_kind};
pub use mapping::{ColumnType, MappedStore, Mapping, MappingError, Shape};
#[doc(hidden)]
pub use schema::strings::puts_from;
pub use schema::{MIGRATIONS, Migrated, SCHEMA_VERSION};

use error::show_key;
use write::Columns;

/// Options of a [`PostgresStore`]. Build with `with_*` setters from
/// [`PostgresOptions::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Connections in the pool, shared by writes and loads. Default: 8.
    pub pool_size: usize,
    /// The schema that holds the tables (created by the migrations if
    /// missing), set as the connections' `search_path`; `None` keeps the
    /// server's default (`public`). Letters, digits and `_` only.
    /// Default: `None`.
    pub schema: Option<String>,
    /// The server-side `statement_timeout`; a statement that runs longer
    /// fails with a transient error. Default: 30 seconds.
    pub statement_timeout: Option<Duration>,
    /// How long a write or load waits for a free connection, and for a new
    /// one to connect, before it fails with a transient error. Default: 10
    /// seconds.
    pub wait_timeout: Duration,
    /// Whether [`PostgresStore::connect`] runs the migrations; if not, it
    /// checks that the schema is at [`SCHEMA_VERSION`]. Default: `true`.
    pub migrate: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 8,
            schema: None,
            statement_timeout: Some(Duration::from_secs(30)),
            wait_timeout: Duration::from_secs(10),
            migrate: true,
        }
    }
}

/// Writes builder setters, each documented as setting its field: callers
/// outside the crate (which `#[non_exhaustive]` keeps from writing the
/// struct) chain them from `default()`.
macro_rules! setters {
    ($($setter:ident($field:ident: $ty:ty);)*) => {$(
        #[doc = concat!("Sets [`PostgresOptions::", stringify!($field), "`].")]
        #[must_use] pub fn $setter(mut self, $field: $ty) -> Self { self.$field = $field; self }
    )*};
}

impl PostgresOptions {
    setters! {
        with_pool_size(pool_size: usize);
        with_statement_timeout(statement_timeout: Option<Duration>);
        with_wait_timeout(wait_timeout: Duration);
        with_migrate(migrate: bool);
    }

    /// Sets [`PostgresOptions::schema`].
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

/// A [`Store`] in a PostgreSQL database. Clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    schema: Option<String>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("pool", &self.pool.status())
            .finish()
    }
}

/// Parses `url` and applies `options` to it.
fn pg_config(url: &str, options: &PostgresOptions) -> Result<Config, PgError> {
    let mut config = Config::from_str(url)
        .map_err(|e| PgError::Config(format!("cannot read the database URL: {e}")))?;
    if config.get_ssl_mode() == SslMode::Require && !cfg!(feature = "tls") {
        return Err(PgError::Config(
            "the URL asks for TLS (sslmode=require), and this build has no TLS: build with the \
             `tls` feature (jotter-server: --features tls), or connect without it \
             (sslmode=disable or prefer)"
                .into(),
        ));
    }
    let mut extra = Vec::new();
    if let Some(schema) = &options.schema {
        if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PgError::Config(format!(
                "schema name {schema:?} must be letters, digits and _ only"
            )));
        }
        extra.push(format!("-c search_path={schema}"));
    }
    if let Some(t) = options.statement_timeout {
        extra.push(format!("-c statement_timeout={}", t.as_millis().max(1)));
    }
    if !extra.is_empty() {
        let mut all = config.get_options().unwrap_or_default().to_owned();
        for e in extra {
            if !all.is_empty() {
                all.push(' ');
            }
            all.push_str(&e);
        }
        config.options(&all);
    }
    if config.get_application_name().is_none() {
        config.application_name("jotter");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(options.wait_timeout);
    }
    Ok(config)
}

fn build_pool(url: &str, options: &PostgresOptions) -> Result<Pool, PgError> {
    if options.pool_size == 0 {
        return Err(PgError::Config("the pool needs at least one connection".into()));
    }
    let (url, verify) = ssl::split_url(url)?;
    let config = pg_config(&url, options)?;
    // `Fast` recycling checks only that the connection is open: a batch is
    // one round trip, and a verifying query per checkout would double it.
    // A connection that died is noticed by its failed statement (a
    // transient error) and dropped at its next checkout.
    let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    #[cfg(feature = "tls")]
    let manager = match &verify {
        Some(verify) => Manager::from_config(config, tls::verifying(verify)?, recycling),
        None if config.get_ssl_mode() == SslMode::Require => {
            Manager::from_config(config, tls::require(), recycling)
        }
        None => Manager::from_config(config, NoTls, recycling),
    };
    #[cfg(not(feature = "tls"))]
    let manager = {
        debug_assert!(verify.is_none(), "ssl::split_url refuses verification without tls");
        Manager::from_config(config, NoTls, recycling)
    };
    Pool::builder(manager)
        .max_size(options.pool_size)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.wait_timeout))
        .recycle_timeout(Some(options.wait_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| PgError::Config(format!("cannot build the connection pool: {e}")))
}

/// Runs the migrations against the database at `url` (the schema of
/// `options`), creating the tables if missing: what `jotter migrate` does.
///
/// # Errors
///
/// The database cannot be reached (transient), refuses the migration, or
/// holds a schema newer than this code knows (permanent).
pub async fn migrate(url: &str, options: &PostgresOptions) -> Result<Migrated, StoreError> {
    let pool = build_pool(url, options)?;
    let mut client = pool.get().await.map_err(PgError::pool("migrating the postgres schema"))?;
    Ok(schema::migrate(&mut client, options.schema.as_deref()).await?)
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a
    /// `key=value` string, as libpq takes them) with default options, and
    /// creates or upgrades the schema.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect_with`].
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects with `options`. With [`PostgresOptions::migrate`] (the
    /// default) it creates or upgrades the schema; without, it checks that
    /// the schema is at [`SCHEMA_VERSION`].
    ///
    /// # Errors
    ///
    /// A bad URL or options, TLS asked for (permanent); the database
    /// cannot be reached (transient); the schema is newer than this code
    /// knows, or older and `migrate` is off (permanent).
    pub async fn connect_with(
        url: &str,
        options: PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        let pool = build_pool(url, &options)?;
        let store = PostgresStore { pool, schema: options.schema.clone() };
        let mut client = store.client("connecting to postgres").await?;
        if options.migrate {
            schema::migrate(&mut client, options.schema.as_deref()).await?;
        } else {
            let found = client
                .query_opt("SELECT value FROM jotter_meta WHERE name = 'schema_version'", &[])
                .await
                .map_err(PgError::db("reading the postgres schema version"))?
                .map(|r| r.get::<_, String>(0));
            if found.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
                return Err(StoreError::permanent(format!(
                    "the postgres schema is at version {found:?}, this code needs \
                     {SCHEMA_VERSION}: run `jotter migrate`"
                )));
            }
        }
        Ok(store)
    }

    /// Runs the migrations on this store's database (see [`migrate`]).
    ///
    /// # Errors
    ///
    /// As [`migrate`].
    pub async fn migrate(&self) -> Result<Migrated, StoreError> {
        let mut client = self.client("migrating the postgres schema").await?;
        Ok(schema::migrate(&mut client, self.schema.as_deref()).await?)
    }

    /// The pool, for tests and tools that want to run their own SQL beside
    /// the store (its connections have the store's `search_path`).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) async fn client(&self, context: &str) -> Result<Object, PgError> {
        self.pool.get().await.map_err(PgError::pool(context))
    }

    async fn write_batch(&self, batch: &[Write]) -> Result<(), PgError> {
        let c = Columns::split(batch)?;
        let context = || write::describe_batch(batch);
        let client = self.client(&context()).await?;
        let mut lease = Lease { client: Some(client), settled: false };
        let client = lease.client.as_ref().expect("leased");

        // Prepare what this batch needs (one round trip each, the first time
        // a connection sees a statement), then send it all at once.
        let steps = c.steps();
        if c.put_keys.len() >= schema::strings::COPY_ABOVE {
            let result = write_staged(client, &c, &steps).await.map_err(PgError::db(context()));
            // On an error the transaction is left open: the lease closes
            // the connection rather than return it to the pool.
            lease.settled = result.is_ok();
            return result;
        }
        let mut statements = Vec::with_capacity(steps.len());
        for (sql, _) in &steps {
            statements
                .push(client.prepare_cached(sql).await.map_err(PgError::db("preparing a batch"))?);
        }

        type Step<'a> =
            Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>>;
        let mut pipeline: Vec<Step<'_>> = Vec::with_capacity(steps.len() + 2);
        pipeline.push(Box::pin(async { client.batch_execute("BEGIN").await.map(|()| 0) }));
        for ((_, params), stmt) in steps.iter().zip(&statements) {
            pipeline.push(Box::pin(client.execute(stmt, params)));
        }
        // After an error the server has aborted the transaction: the
        // statements behind it fail too and this COMMIT rolls back.
        pipeline.push(Box::pin(async { client.batch_execute("COMMIT").await.map(|()| 0) }));
        let results = futures_util::future::join_all(pipeline).await;
        lease.settled = true;
        for r in results {
            r.map_err(PgError::db(context()))?;
        }
        Ok(())
    }
}

/// A batch with many puts, the way the database takes rows fastest: its
/// puts by binary `COPY` into a temporary table, then one conditional
/// upsert from it (`array` parameters cost more than `COPY` beyond a few
/// thousand rows); its other statements as usual, all in one transaction,
/// in the same order as the pipelined form.
async fn write_staged(
    client: &Object,
    c: &Columns<'_>,
    steps: &[(&str, Vec<&(dyn ToSql + Sync)>)],
) -> Result<(), tokio_postgres::Error> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::Type;

    client.batch_execute(schema::strings::STAGE).await?;
    for (sql, params) in steps {
        if *sql != schema::strings::PUTS.as_str() {
            let stmt = client.prepare_cached(sql).await?;
            client.execute(&stmt, params).await?;
            continue;
        }
        let sink = client.copy_in(schema::strings::COPY_STAGE).await?;
        let writer =
            BinaryCopyInWriter::new(sink, &[Type::BYTEA, Type::BYTEA, Type::INT8, Type::INT8]);
        let mut writer = std::pin::pin!(writer);
        for i in 0..c.put_keys.len() {
            let row: [&(dyn ToSql + Sync); 4] =
                [&c.put_keys[i], &c.put_values[i], &c.put_versions[i], &c.put_expiries[i]];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
        let stmt = client.prepare_cached(&schema::strings::STAGED_PUTS).await?;
        client.execute(&stmt, &[]).await?;
    }
    client.batch_execute("COMMIT").await
}

/// A pooled connection lent to one batch. If the batch's future is dropped
/// before its transaction ended, the connection may be left inside it, so
/// it is closed instead of going back to the pool.
pub(crate) struct Lease {
    pub(crate) client: Option<Object>,
    pub(crate) settled: bool,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.settled
            && let Some(client) = self.client.take()
        {
            drop(Object::take(client));
        }
    }
}

impl Store for PostgresStore {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        Ok(self.write_batch(batch).await?)
    }

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        Ok(self.collect_below(horizon).await?)
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        let context = || format!("postgres load of key {}", show_key(key));
        let client = self.client(&context()).await?;
        let stmt = client.prepare_cached(&read::LOAD).await.map_err(PgError::db(context()))?;
        let key: &[u8] = key;
        let rows = client.query(&stmt, &[&key]).await.map_err(PgError::db(context()))?;
        Ok(read::entry_from_rows(&rows).map_err(PgError::db(context()))?)
    }

    async fn load_many(&self, keys: &[Bytes]) -> Result<Vec<Option<Entry>>, StoreError> {
        let context = || format!("postgres load of {} keys", keys.len());
        let client = self.client(&context()).await?;
        let stmt = client.prepare_cached(&read::LOAD_MANY).await.map_err(PgError::db(context()))?;
        let array: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
        let rows = client.query(&stmt, &[&array]).await.map_err(PgError::db(context()))?;
        Ok(read::entries_from_rows(keys, rows).map_err(PgError::db(context()))?)
    }

    async fn probe(&self) -> Result<(), StoreError> {
        let context = "postgres probe";
        let client = self.client(context).await?;
        client.simple_query("SELECT 1").await.map_err(PgError::db(context))?;
        Ok(())
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        let context = "postgres max_version";
        let client = self.client(context).await?;
        let stmt = client.prepare_cached(&read::MAX_VERSION).await.map_err(PgError::db(context))?;
        let row = client.query_one(&stmt, &[]).await.map_err(PgError::db(context))?;
        let v: Option<i64> = row.try_get(0).map_err(PgError::db(context))?;
        let v = v.unwrap_or(0);
        Ok(u64::try_from(v).map_err(|_| PgError::Refused {
            context: context.into(),
            message: format!("negative version {v} in the database"),
        })?)
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        let context = "postgres version of a key";
        let client = self.client(context).await?;
        let stmt = client.prepare_cached(&read::KEY_VERSION).await.map_err(PgError::db(context))?;
        let key: &[u8] = key;
        let row = client.query_one(&stmt, &[&key]).await.map_err(PgError::db(context))?;
        let v: Option<i64> = row.try_get(0).map_err(PgError::db(context))?;
        let Some(v) = v else { return Ok(None) };
        Ok(Some(u64::try_from(v).map_err(|_| PgError::Refused {
            context: context.into(),
            message: format!("negative version {v} in the database"),
        })?))
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        let (context, sql) = match (page.listing, page.after.is_some()) {
            (Listing::Live, false) => ("postgres key listing", &*read::KEYS_FIRST),
            (Listing::Live, true) => ("postgres key listing", &*read::KEYS_AFTER),
            (Listing::Expired, false) => ("postgres expiry listing", &*read::EXPIRED_FIRST),
            (Listing::Expired, true) => ("postgres expiry listing", &*read::EXPIRED_AFTER),
        };
        self.run_listing(context, sql, page).await
    }
}

impl PostgresStore {
    /// Runs a listing statement: `$1` after, `$2` limit, `$3` now.
    async fn run_listing(
        &self,
        context: &str,
        sql: &str,
        page: Page<'_>,
    ) -> Result<Vec<Bytes>, StoreError> {
        let client = self.client(context).await?;
        let stmt = client.prepare_cached(sql).await.map_err(PgError::db(context))?;
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        let now = i64::try_from(page.now).unwrap_or(i64::MAX);
        let rows = client
            .query(&stmt, &[&page.after, &limit, &now])
            .await
            .map_err(PgError::db(context))?;
        Ok(read::keys_from_rows(&rows).map_err(PgError::db(context))?)
    }
}
