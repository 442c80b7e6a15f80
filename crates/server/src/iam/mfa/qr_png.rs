//! A QR code as a PNG image: the `qrcode` crate lays out the modules, and the PNG is written
//! here (signature, IHDR, one zlib-compressed IDAT, IEND; PNG specification, 3rd edition):
//! 1-bit greyscale, black modules on white, with the four-module quiet zone QR readers need.

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module.
const SCALE: usize = 4;
/// Light modules around the symbol (ISO/IEC 18004 asks for four).
const QUIET_ZONE: usize = 4;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// A PNG of the QR code of `text` (error correction level M). `None` when the text is too
/// long for any QR version.
pub(super) fn qr_png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let row_bytes = side.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    for y in 0..side {
        raw.push(0); // filter type None
        let my = (y / SCALE).checked_sub(QUIET_ZONE).filter(|m| *m < modules);
        let mut byte = 0u8;
        for x in 0..side {
            let mx = (x / SCALE).checked_sub(QUIET_ZONE).filter(|m| *m < modules);
            let dark = matches!((mx, my), (Some(mx), Some(my)) if colors[my * modules + mx] == Color::Dark);
            // In 1-bit greyscale, 0 is black and 1 is white.
            byte = (byte << 1) | u8::from(!dark);
            if x % 8 == 7 {
                raw.push(byte);
                byte = 0;
            }
        }
        if !side.is_multiple_of(8) {
            let pad = 8 - side % 8;
            raw.push((byte << pad) | ((1u8 << pad) - 1));
        }
    }
    Some(png(side as u32, side as u32, &raw))
}

/// A 1-bit greyscale PNG of `width` × `height` from filtered scanlines.
fn png(width: u32, height: u32, scanlines: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(scanlines, 9),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 as PNG computes it (ISO 3309, reflected polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunks of a PNG: (type, data), checking every CRC.
    fn chunks(png: &[u8]) -> Vec<(String, Vec<u8>)> {
        assert_eq!(png[..8], SIGNATURE);
        let mut at = 8;
        let mut out = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc, crc32(&png[at + 4..at + 8 + len]), "CRC of a chunk");
            out.push((String::from_utf8(kind.to_vec()).unwrap(), data.to_vec()));
            at += 12 + len;
        }
        out
    }

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32 over "123456789".
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn writes_a_well_formed_png_of_the_symbol() {
        let text = "otpauth://totp/Amazon%20Web%20Services:phone@123456789012?secret=ABC&issuer=Amazon%20Web%20Services";
        let png = qr_png(text).unwrap();
        let chunks = chunks(&png);
        let kinds: Vec<&str> = chunks.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let header = &chunks[0].1;
        let width = u32::from_be_bytes(header[0..4].try_into().unwrap()) as usize;
        let height = u32::from_be_bytes(header[4..8].try_into().unwrap()) as usize;
        assert_eq!(width, height);
        assert_eq!(header[8..], [1, 0, 0, 0, 0]);
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(width, (code.width() + 2 * QUIET_ZONE) * SCALE);

        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&chunks[1].1).unwrap();
        let row_bytes = width.div_ceil(8);
        assert_eq!(raw.len(), height * (row_bytes + 1));
        let pixel_is_dark = |x: usize, y: usize| {
            let row = &raw[y * (row_bytes + 1) + 1..(y + 1) * (row_bytes + 1)];
            row[x / 8] & (0x80 >> (x % 8)) == 0
        };
        // Every pixel shows its module (or the quiet zone).
        for y in 0..height {
            assert_eq!(raw[y * (row_bytes + 1)], 0, "filter byte of row {y}");
            for x in 0..width {
                let (mx, my) = (x / SCALE, y / SCALE);
                let expected = mx >= QUIET_ZONE
                    && my >= QUIET_ZONE
                    && mx - QUIET_ZONE < code.width()
                    && my - QUIET_ZONE < code.width()
                    && code[(mx - QUIET_ZONE, my - QUIET_ZONE)] == Color::Dark;
                assert_eq!(pixel_is_dark(x, y), expected, "pixel ({x}, {y})");
            }
        }
        // The top-left finder pattern starts where the quiet zone ends.
        let corner = QUIET_ZONE * SCALE;
        assert!(pixel_is_dark(corner, corner));
        assert!(!pixel_is_dark(corner - 1, corner));
    }
}
