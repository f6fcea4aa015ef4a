"The README documents what the code does."
import re
from atnn.config import config_reference_md
from conftest import REPO

REFRESH = "python -m atnn.config"   # rewrites the table in place


def test_readme_config_reference_is_current():
    text = (REPO/'README.md').read_text()
    table = re.search(r'<!-- config-reference[^>]*-->\n(.*?)\n<!-- /config-reference -->', text, re.S).group(1)
    assert table == config_reference_md(), f"README's configuration table is stale: run `{REFRESH}`"
