"""Country-name swaps for training text.

Why: the classifier must judge the *event* (talks, a pullback, a guarantee), not which
countries usually make such news. Held-out conflicts are where it failed most (talks
precision 0.87 on dev vs 0.73 on test, docs/classifier.md), and the training rows tie each
conflict's names to its own mix of positives and hard negatives. Showing the branch the
same sentence with other countries in it removes that shortcut at no labelling cost.

Only a country's name, adjective and capital are swapped, consistently inside one text, so
the roles in the sentence (who talks to whom, who guarantees whom) are kept. Replacements
come from `REPLACEMENT_POOL`, which leaves out every country of a dev or test conflict:
evaluation then still measures names the branch never saw.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    name: str
    adjective: str
    capital: str


def _c(name: str, adjective: str, capital: str) -> Country:
    return Country(name, adjective, capital)


# Countries of the held-out conflicts (training/README: dev and test groups): recognised and
# swapped *out* of training text, never swapped in.
HELD_OUT: tuple[Country, ...] = (
    _c("Armenia", "Armenian", "Yerevan"),
    _c("Azerbaijan", "Azerbaijani", "Baku"),
    _c("North Korea", "North Korean", "Pyongyang"),
    _c("South Korea", "South Korean", "Seoul"),
    _c("Cyprus", "Cypriot", "Nicosia"),
    _c("Greece", "Greek", "Athens"),
    _c("Turkey", "Turkish", "Ankara"),
    _c("South Sudan", "South Sudanese", "Juba"),
    _c("Sudan", "Sudanese", "Khartoum"),
    _c("Colombia", "Colombian", "Bogota"),
    _c("Thailand", "Thai", "Bangkok"),
    _c("Cambodia", "Cambodian", "Phnom Penh"),
    _c("Morocco", "Moroccan", "Rabat"),
    _c("Algeria", "Algerian", "Algiers"),
    _c("Kosovo", "Kosovar", "Pristina"),
    _c("Serbia", "Serbian", "Belgrade"),
    _c("Libya", "Libyan", "Tripoli"),
    _c("Myanmar", "Myanmar", "Naypyidaw"),
    _c("Venezuela", "Venezuelan", "Caracas"),
    _c("Guyana", "Guyanese", "Georgetown"),
    _c("Somalia", "Somali", "Mogadishu"),
    _c("Yemen", "Yemeni", "Sanaa"),
    _c("Rwanda", "Rwandan", "Kigali"),
    _c("India", "Indian", "New Delhi"),
    _c("Pakistan", "Pakistani", "Islamabad"),
    _c("Bosnia", "Bosnian", "Sarajevo"),
    _c("Moldova", "Moldovan", "Chisinau"),
    _c("Estonia", "Estonian", "Tallinn"),
    _c("Latvia", "Latvian", "Riga"),
    _c("Lithuania", "Lithuanian", "Vilnius"),
)

REPLACEMENT_POOL: tuple[Country, ...] = (
    _c("Ukraine", "Ukrainian", "Kyiv"),
    _c("Russia", "Russian", "Moscow"),
    _c("Israel", "Israeli", "Jerusalem"),
    _c("Iran", "Iranian", "Tehran"),
    _c("Lebanon", "Lebanese", "Beirut"),
    _c("Syria", "Syrian", "Damascus"),
    _c("Iraq", "Iraqi", "Baghdad"),
    _c("Ethiopia", "Ethiopian", "Addis Ababa"),
    _c("Eritrea", "Eritrean", "Asmara"),
    _c("China", "Chinese", "Beijing"),
    _c("Taiwan", "Taiwanese", "Taipei"),
    _c("the Philippines", "Philippine", "Manila"),
    _c("Vietnam", "Vietnamese", "Hanoi"),
    _c("Japan", "Japanese", "Tokyo"),
    _c("Mali", "Malian", "Bamako"),
    _c("Niger", "Nigerien", "Niamey"),
    _c("Burkina Faso", "Burkinabe", "Ouagadougou"),
    _c("Afghanistan", "Afghan", "Kabul"),
    _c("Qatar", "Qatari", "Doha"),
    _c("Egypt", "Egyptian", "Cairo"),
    _c("Saudi Arabia", "Saudi", "Riyadh"),
    _c("Oman", "Omani", "Muscat"),
    _c("Nigeria", "Nigerian", "Abuja"),
    _c("Kenya", "Kenyan", "Nairobi"),
    _c("Uganda", "Ugandan", "Kampala"),
    _c("Tanzania", "Tanzanian", "Dodoma"),
    _c("Mozambique", "Mozambican", "Maputo"),
    _c("Peru", "Peruvian", "Lima"),
    _c("Chile", "Chilean", "Santiago"),
    _c("Ecuador", "Ecuadorian", "Quito"),
    _c("Bolivia", "Bolivian", "La Paz"),
    _c("Brazil", "Brazilian", "Brasilia"),
    _c("Argentina", "Argentine", "Buenos Aires"),
    _c("Mexico", "Mexican", "Mexico City"),
    _c("Nicaragua", "Nicaraguan", "Managua"),
    _c("Haiti", "Haitian", "Port-au-Prince"),
    _c("Cuba", "Cuban", "Havana"),
    _c("Indonesia", "Indonesian", "Jakarta"),
    _c("Malaysia", "Malaysian", "Kuala Lumpur"),
    _c("Nepal", "Nepali", "Kathmandu"),
    _c("Sri Lanka", "Sri Lankan", "Colombo"),
    _c("Bangladesh", "Bangladeshi", "Dhaka"),
    _c("Mongolia", "Mongolian", "Ulaanbaatar"),
    _c("Kazakhstan", "Kazakh", "Astana"),
    _c("Kyrgyzstan", "Kyrgyz", "Bishkek"),
    _c("Tajikistan", "Tajik", "Dushanbe"),
    _c("Uzbekistan", "Uzbek", "Tashkent"),
    _c("Belarus", "Belarusian", "Minsk"),
    _c("Poland", "Polish", "Warsaw"),
    _c("Romania", "Romanian", "Bucharest"),
    _c("Hungary", "Hungarian", "Budapest"),
    _c("Finland", "Finnish", "Helsinki"),
    _c("Sweden", "Swedish", "Stockholm"),
    _c("Norway", "Norwegian", "Oslo"),
    _c("Denmark", "Danish", "Copenhagen"),
    _c("Germany", "German", "Berlin"),
    _c("France", "French", "Paris"),
    _c("Britain", "British", "London"),
    _c("Italy", "Italian", "Rome"),
    _c("Spain", "Spanish", "Madrid"),
    _c("Canada", "Canadian", "Ottawa"),
    _c("Australia", "Australian", "Canberra"),
    _c("Switzerland", "Swiss", "Bern"),
    _c("Austria", "Austrian", "Vienna"),
    _c("Tunisia", "Tunisian", "Tunis"),
    _c("Cameroon", "Cameroonian", "Yaounde"),
    _c("Senegal", "Senegalese", "Dakar"),
    _c("Ghana", "Ghanaian", "Accra"),
    _c("Angola", "Angolan", "Luanda"),
    _c("Zimbabwe", "Zimbabwean", "Harare"),
    _c("Burundi", "Burundian", "Gitega"),
    _c("the United States", "American", "Washington"),
)

_FORMS = ("name", "adjective", "capital")
_ALL = HELD_OUT + REPLACEMENT_POOL


def _pattern() -> tuple[re.Pattern[str], dict[str, tuple[int, str]]]:
    """One alternation over every surface form, longest first ("South Sudan" before "Sudan").

    A name that takes an article ("the Philippines") is matched with it, so that swapping
    it for one that does not ("Peru") leaves no stray "the".
    """
    lookup: dict[str, tuple[int, str]] = {}
    for index, country in enumerate(_ALL):
        for form in _FORMS:
            lookup.setdefault(getattr(country, form).removeprefix("the "), (index, form))
    alternation = "|".join(re.escape(s) for s in sorted(lookup, key=len, reverse=True))
    return re.compile(rf"\b(?P<the>[Tt]he )?(?P<surface>{alternation})\b"), lookup


_PATTERN, _LOOKUP = _pattern()


def _named(text: str) -> list[int]:
    """Indices into _ALL of the countries named in the text, in order of first mention."""
    return list(dict.fromkeys(_LOOKUP[m.group("surface")][0] for m in _PATTERN.finditer(text)))


def countries_in(text: str) -> list[Country]:
    """The countries named in the text, in order of first mention."""
    return [_ALL[i] for i in _named(text)]


def swap_countries(text: str, rng: random.Random) -> str:
    """The text with every named country replaced by a distinct one from the pool.

    The same country always gets the same replacement inside the text, and two countries
    never get the same one, so "X and Y agree truce" keeps two parties. Text with no country
    comes back unchanged.
    """
    found = _named(text)
    if not found:
        return text
    present = {_ALL[i] for i in found}
    candidates = [c for c in REPLACEMENT_POOL if c not in present]
    mapping = dict(
        zip(found, rng.sample(candidates, k=min(len(found), len(candidates))), strict=False)
    )

    def replace(match: re.Match[str]) -> str:
        index, form = _LOOKUP[match.group("surface")]
        new = mapping.get(index)
        if new is None:
            return match.group(0)
        article = match.group("the") or ""
        surface: str = getattr(new, form)
        if form == "name":
            bare = surface.removeprefix("the ")
            if _ALL[index].name.startswith("the ") and not surface.startswith("the "):
                article = ""  # "the United States" -> "Peru"
            elif surface.startswith("the ") and not article:
                article = "the "  # "Peru's" -> "the Philippines's"
            surface = bare
        result = article + surface
        if _starts_sentence(text, match.start()):
            result = result[0].upper() + result[1:]
        return result

    return _PATTERN.sub(replace, text)


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before.endswith((".", ":", "!", "?"))
