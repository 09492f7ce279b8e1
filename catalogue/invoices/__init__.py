"""E-invoices (hóa đơn điện tử, Decree 123/2020 and Circular 78/2021): each producer invoices its own lines."""
