import random

import pandas as pd
import phonenumbers
import pytest

from imports.pipeline.normalize import phone_to_e164, phones_to_e164

REGIONS = ["ES", "IT", "MX", "GB", "FR", "DE", "US", "BR", "AR", "PT", "CO", None]
FORMATS = ["{d}", "+{cc}{d}", "+{cc} {d}", "00{cc}{d}", "{cc}{d}", "0{d}", "({d3}) {rest}", "+{cc}-{d3}-{rest}"]


def samples(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    values = []
    for _ in range(count):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 13)))
        cc = rng.choice(["34", "39", "52", "44", "33", "49", "1", "55", "54", "351", "57", "7", "86"])
        template = rng.choice(FORMATS)
        values.append(template.format(d=digits, cc=cc, d3=digits[:3], rest=digits[3:]))
    return values


def valid_looking(seed: int) -> list[str]:
    """Example numbers of every type of every region, in every format, with their last digits varied."""
    rng = random.Random(seed)
    values = []
    formats = [phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
               phonenumbers.PhoneNumberFormat.E164]  # fmt: skip
    for region in [r for r in REGIONS if r]:
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for style in formats:
                text = phonenumbers.format_number(example, style)
                values.append(text)
                for _ in range(5):
                    tail = "".join(rng.choice("0123456789") for _ in range(4))
                    values.append(text[:-4] + tail)
            values.append(phonenumbers.national_significant_number(example))
    return values


@pytest.mark.parametrize("region", REGIONS)
def test_the_fast_phone_path_agrees_with_phonenumbers(region):
    values = samples(len(str(region)), 3000) + valid_looking(7) + ["612345678", "+34 612 345 678"]
    fast = phones_to_e164(pd.Series(values), region).tolist()
    slow = [phone_to_e164(value, region) for value in values]
    mismatches = [(v, f, s) for v, f, s in zip(values, fast, slow, strict=True) if f != s]
    assert mismatches == []
