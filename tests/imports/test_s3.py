import io
import urllib.error
import urllib.request

import pytest

from imports.services import import_file_process

URL = "/api/v1/import"
CSV = b"Email,Phone\nana@example.com,612000001\nbad@@x,612000002\n=cmd,\n"


@pytest.mark.django_db
def test_imports_on_s3_download_through_short_lived_signed_urls(owner, client_for, s3_storage):
    client = client_for(owner)
    body = io.BytesIO(CSV)
    body.name = "leads.csv"
    created = client.post(URL, {"company_id": owner.company.id, "file": body}, format="multipart")
    assert created.status_code == 202, created.json()
    import_file = import_file_process(import_file_id=created.json()["import_file"]["id"])
    assert (import_file.processed_records, import_file.failed_records) == (3, 2)

    status = client.get(f"{URL}/{import_file.import_code}").json()["import_file"]
    for kind, expected in (("original_file", CSV), ("error_file", None)):
        response = client.get(status[kind])
        assert response.status_code == 302
        signed = response["Location"]
        assert "X-Amz-Signature" in signed and "X-Amz-Expires=300" in signed
        content = urllib.request.urlopen(signed, timeout=10).read()
        if expected is not None:
            assert content == expected
        else:
            lines = content.decode("utf-8-sig").splitlines()
            assert lines == [
                "Email,Phone,row_number,error",
                "bad@@x,612000002,3,invalid email",
                "'=cmd,,4,invalid email",
            ]

    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("Contents", [])]
    assert not [key for key in keys if "/parts/" in key]
    assert all(key.startswith("private/imports/") for key in keys)
    unsigned = signed.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 403
