"""TM Forum Open APIs at the door: TMF622 Product Ordering v5 and TMF637 Product Inventory v5.

``published/`` holds the OpenAPI files as TM Forum publishes them (Apache 2.0); ``spec`` serves the subset of
their paths that simexit implements, unchanged; ``models`` reads the requests; ``render`` writes the JSON."""
