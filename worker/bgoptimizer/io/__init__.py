"""Image input/output: XISF (own reader/writer), FITS (astropy), dispatch by file type."""
