//! The little-endian, length-prefixed pieces a write record is built of,
//! and the error a record that does not decode gives.
//!
//! Shared by the record's frame (`record.rs`) and by each kind of value,
//! which encodes its own fields (`value/`), so both read and write the same
//! bytes the same way. Reading never panics: a short buffer is an error.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A record that does not decode: the log's checksum passed, so this is a
/// format this code does not know or a bug, never a torn write.
#[derive(Debug, Clone, thiserror::Error)]
#[error("not a valid write record: {0}")]
pub struct RecordError(pub(crate) &'static str);

/// Appends `b` as a `u32` length, then the bytes.
pub(crate) fn put_bytes(out: &mut BytesMut, b: &[u8]) {
    out.put_u32_le(u32::try_from(b.len()).unwrap_or(u32::MAX));
    out.put_slice(b);
}

/// Fails unless `n` more bytes are there.
pub(crate) fn need(buf: &Bytes, n: usize) -> Result<(), RecordError> {
    if buf.remaining() < n { Err(RecordError("truncated")) } else { Ok(()) }
}

/// Reads a fixed-size value of `n` bytes with `read`, if they are there.
fn fixed<T>(buf: &mut Bytes, n: usize, read: fn(&mut Bytes) -> T) -> Result<T, RecordError> {
    need(buf, n)?;
    Ok(read(buf))
}

pub(crate) fn get_u8(buf: &mut Bytes) -> Result<u8, RecordError> {
    fixed(buf, 1, |b| b.get_u8())
}

pub(crate) fn get_u32(buf: &mut Bytes) -> Result<u32, RecordError> {
    fixed(buf, 4, |b| b.get_u32_le())
}

pub(crate) fn get_u64(buf: &mut Bytes) -> Result<u64, RecordError> {
    fixed(buf, 8, |b| b.get_u64_le())
}

pub(crate) fn get_f64(buf: &mut Bytes) -> Result<f64, RecordError> {
    fixed(buf, 8, |b| b.get_f64_le())
}

/// Reads what [`put_bytes`] wrote.
pub(crate) fn get_bytes(buf: &mut Bytes) -> Result<Bytes, RecordError> {
    let len = get_u32(buf)? as usize;
    need(buf, len)?;
    Ok(buf.split_to(len))
}
