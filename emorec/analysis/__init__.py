"""Analysis of finished runs: pictures, and the helpers of the quickstart notebook."""
