//! The compressed size of an image: about what a node pulls, beside the uncompressed size the
//! engine reports.
//!
//! One definition, the one people measure by hand: `docker save IMAGE | gzip -1 | wc -c`. The
//! export is streamed from the engine ([`bollard::Docker::export_image`]) into gzip at
//! `gzip -1`'s settings ([`GZIP_1_LEVEL`]) and only counted, never stored. A registry keeps each
//! layer gzipped on its own, at the pushing tool's level, so what a node downloads from one is
//! near this number but not equal to it; a per-layer total would be a second definition, and the
//! report keeps one.
//!
//! Gzipping a large image takes seconds to minutes, so [`compressed_size`] keeps each result in
//! a [`SizeCache`] keyed by the image ID: the ID names the content, so an entry never goes stale.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use flate2::write::GzEncoder;
use futures_util::StreamExt;

use crate::outcome::human_size;

/// The flate2 level (on its zlib-rs backend, which this crate selects) whose algorithm is
/// `gzip -1`'s: zlib-rs runs `deflate_fast` with `gzip -1`'s parameters (good 4, lazy 4, nice 8,
/// chain 4) at level 2, and a faster `deflate_quick` at level 1, which gave 20% more bytes than
/// `gzip -1` on a 455 MB tar of Debian binaries (2026-12-05).
pub const GZIP_1_LEVEL: u32 = 2;

/// How long the engine may take to say what an image is.
pub const INSPECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the export may go without sending a byte once it has sent its first.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What the export and gzip of an image may take, whatever its size ([`deadline`] adds
/// [`PER_GB`] per started GB). The engine prepares the export before its first byte (5 s for
/// an 807 MB image here, 2026-12-05), so only this deadline bounds the wait for that byte.
pub const BASE_TIMEOUT: Duration = Duration::from_secs(120);

/// What the export and gzip of each GB of image may take: about ten times what they take on an
/// idle 2-core machine.
pub const PER_GB: Duration = Duration::from_secs(120);

/// What `docker save` of one image weighs, as it comes and gzipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompressedSize {
    /// The bytes of the export's tar (layers, config, manifest): `docker save IMAGE | wc -c`.
    pub tar_bytes: u64,
    /// The bytes of that tar gzipped as `gzip -1` does: about what a node pulls.
    pub gzip_bytes: u64,
}

/// Why an image's compressed size could not be measured. Each names the image.
#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    /// The engine could not say what the image is.
    #[error("{image}: the engine failed at `inspect`: {source}; is it built? (`docker image ls`)")]
    Inspect {
        /// The image as given.
        image: String,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// The export failed.
    #[error(
        "{image}: the engine failed at `save`: {source}; check `docker info` and its free disk"
    )]
    Save {
        /// The image as given.
        image: String,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// A step took longer than it may.
    #[error("{image}: {step} did not finish within {} s; is the engine busy? (`docker info`)", .after.as_secs())]
    Timeout {
        /// The image as given.
        image: String,
        /// What was being waited for.
        step: String,
        /// How long it was waited for.
        after: Duration,
    },
    /// The export stopped sending bytes.
    #[error("{image}: the engine's `save` sent nothing for {} s; is it busy or out of disk? (`docker info`)", .after.as_secs())]
    Stalled {
        /// The image as given.
        image: String,
        /// How long nothing came.
        after: Duration,
    },
    /// Gzip failed (it writes to memory, so this is not expected).
    #[error("{image}: gzip failed: {source}")]
    Gzip {
        /// The image as given.
        image: String,
        /// The error.
        source: io::Error,
    },
    /// The result could not be kept in the cache.
    #[error("{image}: writing {}: {source}", .path.display())]
    Cache {
        /// The image as given.
        image: String,
        /// The cache file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// The compressed size of `image` (a reference or an ID): from `cache` when its image ID was
/// measured before, else measured ([`measure`]) and added to the cache file.
pub async fn compressed_size(
    docker: &Docker,
    image: &str,
    cache: &mut SizeCache,
) -> Result<CompressedSize, SizeError> {
    let inspect = tokio::time::timeout(INSPECT_TIMEOUT, docker.inspect_image(image))
        .await
        .map_err(|_| SizeError::Timeout {
            image: image.to_owned(),
            step: "`inspect`".to_owned(),
            after: INSPECT_TIMEOUT,
        })?
        .map_err(|source| SizeError::Inspect {
            image: image.to_owned(),
            source,
        })?;
    let expected = inspect.size.unwrap_or(0).max(0) as u64;
    let Some(id) = inspect.id.filter(|id| !id.is_empty()) else {
        // An engine that names no ID: measured as given, and not cached.
        return measure(docker, image, image, expected).await;
    };
    if let Some(size) = cache.get(&id) {
        return Ok(size);
    }
    let size = measure(docker, image, &id, expected).await?;
    cache.insert(&id, size).map_err(|source| SizeError::Cache {
        image: image.to_owned(),
        path: cache.path.clone(),
        source,
    })?;
    Ok(size)
}

/// How long the export and gzip of an image of `bytes` (its uncompressed size) may take.
pub fn deadline(bytes: u64) -> Duration {
    let started_gb = bytes.div_ceil(1_000_000_000);
    BASE_TIMEOUT + PER_GB * u32::try_from(started_gb).unwrap_or(u32::MAX)
}

/// Streams `docker save` of the image `id` (of `bytes` uncompressed, which scales the deadline)
/// through gzip into a counter. `image` is what errors call it. The export is by ID, so a tag
/// moved meanwhile cannot change what is measured; its tar then names no tag (as
/// `docker save <ID>`'s does not).
pub async fn measure(
    docker: &Docker,
    image: &str,
    id: &str,
    bytes: u64,
) -> Result<CompressedSize, SizeError> {
    let limit = deadline(bytes);
    let (chunks, gzip) = gzip_in_background();
    let export = async {
        let mut stream = docker.export_image(id);
        let mut started = false;
        loop {
            let next = if started {
                tokio::time::timeout(STALL_TIMEOUT, stream.next())
                    .await
                    .map_err(|_| SizeError::Stalled {
                        image: image.to_owned(),
                        after: STALL_TIMEOUT,
                    })?
            } else {
                stream.next().await
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|source| SizeError::Save {
                image: image.to_owned(),
                source,
            })?;
            started = true;
            if chunks.send(chunk).await.is_err() {
                break; // gzip failed: its error is the one to show
            }
        }
        drop(chunks);
        gzip.await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(|source| SizeError::Gzip {
                image: image.to_owned(),
                source,
            })
    };
    tokio::time::timeout(limit, export)
        .await
        .map_err(|_| SizeError::Timeout {
            image: image.to_owned(),
            step: format!("`save` and gzip of {}", human_size(bytes)),
            after: limit,
        })?
}

/// A channel whose chunks a blocking thread gzips and counts, beside the engine's export; its
/// result once the sender is dropped.
fn gzip_in_background<T: AsRef<[u8]> + Send + 'static>() -> (
    tokio::sync::mpsc::Sender<T>,
    tokio::task::JoinHandle<io::Result<CompressedSize>>,
) {
    let (chunks, mut received) = tokio::sync::mpsc::channel::<T>(64);
    let gzip = tokio::task::spawn_blocking(move || {
        let mut counter = GzipCounter::new(io::sink());
        while let Some(chunk) = received.blocking_recv() {
            counter.write(chunk.as_ref())?;
        }
        counter.finish().map(|(size, _)| size)
    });
    (chunks, gzip)
}

/// Gzips what it is given as `gzip -1` does into `W` and counts both sides.
struct GzipCounter<W: Write> {
    encoder: GzEncoder<Counted<W>>,
    tar_bytes: u64,
}

impl<W: Write> GzipCounter<W> {
    fn new(inner: W) -> GzipCounter<W> {
        GzipCounter {
            encoder: GzEncoder::new(
                Counted { inner, bytes: 0 },
                flate2::Compression::new(GZIP_1_LEVEL),
            ),
            tar_bytes: 0,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.encoder.write_all(bytes)?;
        self.tar_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Both counts, with the gzip trailer written, and the writer the stream went to.
    fn finish(self) -> io::Result<(CompressedSize, W)> {
        let counted = self.encoder.finish()?;
        let size = CompressedSize {
            tar_bytes: self.tar_bytes,
            gzip_bytes: counted.bytes,
        };
        Ok((size, counted.inner))
    }
}

/// A writer that counts what it passes on.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Compressed sizes by image ID, kept in a JSON file (by default [`crate::Layout::size_cache`])
/// so that a second report does not gzip an unchanged image again. An ID names an image's
/// content, so an entry never goes stale; a file that is missing, unreadable or of another
/// definition counts as empty.
#[derive(Debug, Clone)]
pub struct SizeCache {
    path: PathBuf,
    sizes: BTreeMap<String, CompressedSize>,
}

/// The cache file.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct CacheFile {
    /// What the sizes measure; a file of another definition is ignored.
    definition: String,
    /// Image ID → sizes.
    images: BTreeMap<String, CompressedSize>,
}

/// What [`CacheFile::definition`] says for this module's sizes.
fn definition() -> String {
    format!("docker save | gzip -1 (flate2 zlib-rs level {GZIP_1_LEVEL})")
}

impl SizeCache {
    /// The cache kept at `path`, read now.
    pub fn load(path: impl Into<PathBuf>) -> SizeCache {
        let path = path.into();
        let sizes = read(&path);
        SizeCache { path, sizes }
    }

    /// The file it is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sizes measured for the image `id`, if any.
    pub fn get(&self, id: &str) -> Option<CompressedSize> {
        self.sizes.get(id).copied()
    }

    /// Adds `size` for the image `id` and writes the file: to a temporary file beside it, then
    /// renamed over it, so a run that stops midway leaves the file as it was. Entries another
    /// run wrote since this cache was read are kept.
    pub fn insert(&mut self, id: &str, size: CompressedSize) -> io::Result<()> {
        self.sizes.insert(id.to_owned(), size);
        let mut images = read(&self.path);
        images.extend(self.sizes.iter().map(|(k, v)| (k.clone(), *v)));
        let file = CacheFile {
            definition: definition(),
            images,
        };
        let text = serde_json::to_string_pretty(&file).map_err(io::Error::other)?;
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The sizes in the file at `path`, empty when it is missing, unreadable or of another definition.
fn read(path: &Path) -> BTreeMap<String, CompressedSize> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<CacheFile>(&text).ok())
        .filter(|file| file.definition == definition())
        .map(|file| file.images)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    /// Text that compresses, then bytes that do not (a xorshift stream): like a layer of
    /// configuration and binaries.
    fn sample() -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..2_000)
            .flat_map(|i| format!("line {i}: spark.executor.memory=4g\n").into_bytes())
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        bytes
    }

    #[test]
    fn counts_the_input_and_exactly_the_gzip_stream_it_writes() {
        let input = sample();
        let mut counter = GzipCounter::new(Vec::new());
        // Chunks of odd sizes, as the engine's stream sends them.
        for chunk in input.chunks(7_919) {
            counter.write(chunk).unwrap();
        }
        let (size, stream) = counter.finish().unwrap();
        assert_eq!(size.tar_bytes, input.len() as u64);
        assert_eq!(size.gzip_bytes, stream.len() as u64);

        let mut reference = GzEncoder::new(Vec::new(), flate2::Compression::new(GZIP_1_LEVEL));
        reference.write_all(&input).unwrap();
        assert_eq!(size.gzip_bytes, reference.finish().unwrap().len() as u64);

        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(stream.as_slice())
            .read_to_end(&mut decoded)
            .unwrap();
        assert!(decoded == input, "the gzip stream decodes to its input");
        // The text compresses, the random bytes do not: between the two.
        assert!(
            size.gzip_bytes > 50_000 && size.gzip_bytes < size.tar_bytes / 2,
            "{size:?}"
        );
    }

    #[test]
    fn counting_into_a_sink_gives_the_same_sizes() {
        let input = sample();
        let mut to_memory = GzipCounter::new(Vec::new());
        let mut to_sink = GzipCounter::new(io::sink());
        to_memory.write(&input).unwrap();
        to_sink.write(&input).unwrap();
        assert_eq!(to_memory.finish().unwrap().0, to_sink.finish().unwrap().0);
    }

    #[test]
    fn the_deadline_grows_with_each_started_gb() {
        assert_eq!(deadline(0), BASE_TIMEOUT);
        assert_eq!(deadline(780_000_000), BASE_TIMEOUT + PER_GB);
        assert_eq!(deadline(6_200_000_000), BASE_TIMEOUT + PER_GB * 7);
    }

    #[test]
    fn the_cache_keeps_what_it_was_given_across_loads_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images").join("compressed-sizes.json");
        let size = |n| CompressedSize {
            tar_bytes: n * 2,
            gzip_bytes: n,
        };
        let mut first = SizeCache::load(&path);
        let mut second = SizeCache::load(&path);
        assert_eq!(first.get("sha256:a"), None);
        first.insert("sha256:a", size(10)).unwrap();
        // Another run, loaded before the first wrote, keeps the first's entry.
        second.insert("sha256:b", size(20)).unwrap();
        let again = SizeCache::load(&path);
        assert_eq!(again.get("sha256:a"), Some(size(10)));
        assert_eq!(again.get("sha256:b"), Some(size(20)));
        // Nothing else is left beside it: the temporary file was renamed.
        let files: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_cache_of_another_definition_or_unreadable_counts_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compressed-sizes.json");
        std::fs::write(
            &path,
            r#"{"definition": "docker save | gzip -9", "images": {"sha256:a": {"tar_bytes": 2, "gzip_bytes": 1}}}"#,
        )
        .unwrap();
        assert_eq!(SizeCache::load(&path).get("sha256:a"), None);
        std::fs::write(&path, "{\"definition\": ").unwrap();
        assert_eq!(SizeCache::load(&path).get("sha256:a"), None);
    }
}
