//! NumPy's `.npz` format, written directly: a zip archive (stored, not compressed) of
//! `.npy` files, one per array (format version 1.0: a magic string, a small Python-dict
//! header giving the dtype and shape, then the data in C order, little-endian). What
//! `numpy.load` reads without pickling.

use std::io::{self, Write};

/// The data of one array.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bool(Vec<bool>),
    /// Unicode strings (NumPy's `<U` dtype, fixed width: the longest's length).
    Str(Vec<String>),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::F64(v) => v.len(),
            Data::F32(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::U32(v) => v.len(),
            Data::U64(v) => v.len(),
            Data::Bool(v) => v.len(),
            Data::Str(v) => v.len(),
        }
    }

    /// Characters per string of a `<U` array (at least 1, as NumPy has it).
    fn width(&self) -> usize {
        match self {
            Data::Str(v) => v.iter().map(|s| s.chars().count()).max().unwrap_or(0).max(1),
            _ => 0,
        }
    }

    fn descr(&self) -> String {
        match self {
            Data::F64(_) => "<f8".into(),
            Data::F32(_) => "<f4".into(),
            Data::I32(_) => "<i4".into(),
            Data::U32(_) => "<u4".into(),
            Data::U64(_) => "<u8".into(),
            Data::Bool(_) => "|b1".into(),
            Data::Str(_) => format!("<U{}", self.width()),
        }
    }
}

/// A named array of a given shape (C order; `[]` for a scalar).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Data,
}

impl Array {
    /// A one-dimensional array.
    pub fn vector(name: &str, data: Data) -> Array {
        Array { name: name.to_string(), shape: vec![data.len()], data }
    }
    /// A zero-dimensional array (a scalar or a single string).
    pub fn scalar(name: &str, data: Data) -> Array {
        Array { name: name.to_string(), shape: Vec::new(), data }
    }
    /// An array of `shape`; its data must hold their product of values.
    pub fn shaped(name: &str, shape: Vec<usize>, data: Data) -> Array {
        Array { name: name.to_string(), shape, data }
    }

    /// The `.npy` header: magic, version 1.0, header length, the dict padded with
    /// spaces to a multiple of 64 bytes, ending in a newline.
    fn header(&self) -> Vec<u8> {
        let shape = match self.shape.len() {
            0 => "()".to_string(),
            1 => format!("({},)", self.shape[0]),
            _ => format!("({})", self.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
        };
        let mut dict =
            format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}", self.data.descr());
        let unpadded = 10 + dict.len() + 1;
        dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
        dict.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out
    }

    /// Writes the whole `.npy` file.
    fn write_npy(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.header())?;
        let mut buf = Vec::with_capacity(1 << 16);
        // Written in slices through a buffer: a large array is never copied whole.
        macro_rules! put {
            ($v:expr, $f:expr) => {
                for chunk in $v.chunks(4096) {
                    buf.clear();
                    for x in chunk {
                        $f(&mut buf, x);
                    }
                    w.write_all(&buf)?;
                }
            };
        }
        match &self.data {
            Data::F64(v) => put!(v, |b: &mut Vec<u8>, x: &f64| b.extend_from_slice(&x.to_le_bytes())),
            Data::F32(v) => put!(v, |b: &mut Vec<u8>, x: &f32| b.extend_from_slice(&x.to_le_bytes())),
            Data::I32(v) => put!(v, |b: &mut Vec<u8>, x: &i32| b.extend_from_slice(&x.to_le_bytes())),
            Data::U32(v) => put!(v, |b: &mut Vec<u8>, x: &u32| b.extend_from_slice(&x.to_le_bytes())),
            Data::U64(v) => put!(v, |b: &mut Vec<u8>, x: &u64| b.extend_from_slice(&x.to_le_bytes())),
            Data::Bool(v) => put!(v, |b: &mut Vec<u8>, x: &bool| b.push(*x as u8)),
            Data::Str(v) => {
                let width = self.data.width();
                put!(v, |b: &mut Vec<u8>, s: &String| {
                    let mut n = 0;
                    for c in s.chars() {
                        b.extend_from_slice(&(c as u32).to_le_bytes());
                        n += 1;
                    }
                    for _ in n..width {
                        b.extend_from_slice(&[0; 4]);
                    }
                })
            }
        }
        Ok(())
    }
}

/// CRC-32 (IEEE 802.3, as zip uses), table driven.
#[derive(Debug, Clone)]
pub struct Crc32 {
    table: [u32; 256],
    value: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        let mut table = [0u32; 256];
        for (i, t) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *t = c;
        }
        Crc32 { table, value: 0xFFFF_FFFF }
    }
}

impl Crc32 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.value = self.table[((self.value ^ b as u32) & 0xFF) as usize] ^ (self.value >> 8);
        }
    }
    pub fn finish(&self) -> u32 {
        self.value ^ 0xFFFF_FFFF
    }
}

/// A sink that only counts bytes and their CRC (the first of two passes over an array).
struct Summary {
    crc: Crc32,
    len: u64,
}

impl Write for Summary {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.crc.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that counts what went through.
struct Counted<W: Write> {
    inner: W,
    at: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.at += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn too_large() -> io::Error {
    io::Error::other("the data set is larger than 4 GiB, beyond a plain zip file (see docs/dataset.md)")
}

/// Writes `arrays` as an `.npz` archive (`NAME.npy` members, stored) to `w`.
/// The fields a zip entry's local header and its central directory entry share, from
/// "version needed" to the name's length: version 2.0, no flags, stored, no date
/// (1980-01-01), the CRC-32, the size (stored: compressed and not alike), the name's length.
fn entry_fields(out: &mut Vec<u8>, crc: u32, size: u32, name: &str) {
    for x in [20u16, 0, 0, 0, 0x21] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
}

pub fn write_npz(w: impl Write, arrays: &[Array]) -> io::Result<()> {
    for a in arrays {
        let values: usize = a.shape.iter().product();
        if values != a.data.len() {
            return Err(io::Error::other(format!(
                "array '{}': shape {:?} needs {values} values, has {}",
                a.name,
                a.shape,
                a.data.len()
            )));
        }
    }
    let mut w = Counted { inner: w, at: 0 };
    let mut central = Vec::new();
    for a in arrays {
        let name = format!("{}.npy", a.name);
        let mut sum = Summary { crc: Crc32::default(), len: 0 };
        a.write_npy(&mut sum)?;
        let (crc, size) = (sum.crc.finish(), u32::try_from(sum.len).map_err(|_| too_large())?);
        let offset = u32::try_from(w.at).map_err(|_| too_large())?;
        // Local file header, no extra field.
        let mut h = Vec::new();
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        entry_fields(&mut h, crc, size, &name);
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        w.write_all(&h)?;
        a.write_npy(&mut w)?;
        // The central directory's entry for it.
        let c = &mut central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        // Made by version 2.0, then what the local header has.
        c.extend_from_slice(&20u16.to_le_bytes());
        entry_fields(c, crc, size, &name);
        c.extend_from_slice(&[0; 12]);
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
    }
    let start = u32::try_from(w.at).map_err(|_| too_large())?;
    let entries = u16::try_from(arrays.len()).map_err(|_| io::Error::other("more than 65535 arrays"))?;
    w.write_all(&central)?;
    let mut end = Vec::new();
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0; 4]);
    end.extend_from_slice(&entries.to_le_bytes());
    end.extend_from_slice(&entries.to_le_bytes());
    end.extend_from_slice(&(central.len() as u32).to_le_bytes());
    end.extend_from_slice(&start.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    w.write_all(&end)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], at: usize) -> usize {
        u16::from_le_bytes([b[at], b[at + 1]]) as usize
    }
    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
    }

    #[test]
    fn crc32_is_zips() {
        let mut c = Crc32::default();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xCBF4_3926);
    }

    #[test]
    fn npz_is_a_zip_of_npy_files() {
        let arrays = vec![
            Array::shaped("v", vec![2, 3], Data::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
            Array::vector("names", Data::Str(vec!["ab".into(), "GABA-A".into()])),
            Array::scalar("bin_ms", Data::F64(vec![1.0])),
        ];
        let mut out = Vec::new();
        write_npz(&mut out, &arrays).unwrap();
        // The end record names the central directory; each entry its local header.
        let end = out.len() - 22;
        assert_eq!(u32_at(&out, end), 0x0605_4b50);
        assert_eq!(u16_at(&out, end + 10), 3);
        let mut at = u32_at(&out, end + 16);
        let mut names = Vec::new();
        for _ in 0..3 {
            assert_eq!(u32_at(&out, at), 0x0201_4b50);
            let (crc, size, name_len) = (u32_at(&out, at + 16), u32_at(&out, at + 20), u16_at(&out, at + 28));
            let local = u32_at(&out, at + 42);
            let name = String::from_utf8(out[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(&out, local), 0x0403_4b50);
            let data = local + 30 + u16_at(&out, local + 26);
            let npy = &out[data..data + size];
            let mut c = Crc32::default();
            c.update(npy);
            assert_eq!(c.finish() as usize, crc, "{name}");
            assert_eq!(&npy[..8], b"\x93NUMPY\x01\x00");
            let hlen = u16_at(npy, 8);
            assert_eq!((10 + hlen) % 64, 0);
            let header = std::str::from_utf8(&npy[10..10 + hlen]).unwrap();
            assert!(header.ends_with('\n'));
            match name.as_str() {
                "v.npy" => {
                    assert!(
                        header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
                    );
                    assert_eq!(&npy[10 + hlen + 4..10 + hlen + 8], &2.0f32.to_le_bytes());
                }
                "names.npy" => {
                    assert!(header.contains("'descr': '<U6'") && header.contains("'shape': (2,)"));
                    assert_eq!(size, 10 + hlen + 2 * 6 * 4);
                }
                "bin_ms.npy" => assert!(header.contains("'shape': ()")),
                other => panic!("{other}"),
            }
            names.push(name);
            at += 46 + name_len;
        }
        assert_eq!(names, ["v.npy", "names.npy", "bin_ms.npy"]);
        let bad = [Array::shaped("x", vec![2, 2], Data::F64(vec![1.0]))];
        assert!(write_npz(&mut Vec::new(), &bad).unwrap_err().to_string().contains("needs 4 values"));
    }
}
