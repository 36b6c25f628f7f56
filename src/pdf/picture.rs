//! The pictures a document may show (a stamp, a signature): PNG files checked and decoded
//! once to 8-bit RGBA, drawn from raw pixels by [`super::PdfWriter::picture`].

/// A decoded PNG ready to be drawn (8-bit RGBA), e.g. a stamp or a signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// Row by row, four bytes a pixel.
    pub rgba: Vec<u8>,
}

/// Largest side of an image accepted for printing, in pixels.
pub const PICTURE_MAX_SIDE: u32 = 2000;

/// Why a PNG was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureError {
    /// Not a PNG file, or a broken one.
    NotPng(String),
    /// More pixels than [`PICTURE_MAX_SIDE`] on a side.
    TooLarge { width: u32, height: u32 },
}

impl std::fmt::Display for PictureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PictureError::NotPng(e) => write!(f, "not a PNG image: {e}"),
            PictureError::TooLarge { width, height } => write!(
                f,
                "{width} × {height} pixels: at most {PICTURE_MAX_SIDE} on a side"
            ),
        }
    }
}

impl Picture {
    /// Decodes a PNG file (any colour type and depth) to 8-bit RGBA.
    pub fn from_png(bytes: &[u8]) -> Result<Picture, PictureError> {
        const MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
        if !bytes.starts_with(MAGIC) {
            return Err(PictureError::NotPng("no PNG signature".to_owned()));
        }
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder
            .read_info()
            .map_err(|e| PictureError::NotPng(e.to_string()))?;
        let (width, height) = (reader.info().width, reader.info().height);
        if width > PICTURE_MAX_SIDE || height > PICTURE_MAX_SIDE {
            return Err(PictureError::TooLarge { width, height });
        }
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| PictureError::NotPng("image too large".to_owned()))?;
        let mut buf = vec![0; size];
        let frame = reader
            .next_frame(&mut buf)
            .map_err(|e| PictureError::NotPng(e.to_string()))?;
        buf.truncate(frame.buffer_size());
        let rgba = match frame.color_type {
            png::ColorType::Rgba => buf,
            png::ColorType::Rgb => buf
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            png::ColorType::GrayscaleAlpha => buf
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
            png::ColorType::Indexed => {
                return Err(PictureError::NotPng("palette not expanded".to_owned()));
            }
        };
        Ok(Picture {
            width,
            height,
            rgba,
        })
    }
}
