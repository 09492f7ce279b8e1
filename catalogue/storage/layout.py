"""What the shop keeps where in the storage: one list, read by the services and by `flask storage migrate`.

| key prefix | what | namespace |
|---|---|---|
| `products/<SKU>/` | uploaded photos (re-encoded JPEG) | public: /media/<key> |
| `placeholders/` | seeded SVG placeholders and their JPEG renditions | public |
| `reports/` | lots' test reports (PDF, JPEG, PNG) | private: only the report view |
| `invoice-certs/` | producers' PKCS#12 signing certificates, sealed (catalogue.storage.sealing) | private |

Stamp sheets and labels are drawn on each request and e-invoice XML is kept in the database
(`invoices.xml`), so neither is a file.
"""

from __future__ import annotations

REPORTS = "reports"
CERTIFICATES = "invoice-certs"
# Top-level folders of an old MEDIA_ROOT whose files become private (they were reachable at /media/ before).
PRIVATE_FOLDERS = (REPORTS,)
