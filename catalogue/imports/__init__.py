"""The office's spreadsheets: the province's OCOP rating decisions imported from XLSX or CSV (contract §8)."""
