"""Reference figures the generator draws from: LA sizes and ethnicity, code lists, name lists.

Every figure cites ``shared/reference/calibration.md`` (section numbers). Unverified figures are
named defaults (see ``docs/synthetic-world.md``); curated name lists are romanised (Latin script
only) and chosen to give realistic common-name clusters and spelling variants.
"""

from __future__ import annotations

# Census 2021 all-ages ethnicity per LA (percent; REFU/NOBT added separately). calibration §2.2.
LA_ETHNICITY: dict[str, dict[str, float]] = {
    # Bradford: WBRI 56.7, APKN 25.5 (2021, verified); the rest in the 2011 shape (verified).
    "380": {"WBRI": 56.7, "APKN": 25.5, "WIRI": 0.5, "WOTH": 3.0, "AIND": 2.6, "ABAN": 1.9, "CHNE": 0.4,
            "AOTH": 1.5, "BAFR": 1.0, "BCRB": 0.5, "BOTH": 0.3, "MWBC": 1.0, "MWAS": 1.0, "MWBA": 0.2,
            "MOTH": 0.3, "OOTH": 1.5, "WROM": 0.1, "WIRT": 0.1},
    # Westminster 2021 (verified, rounded; Mixed split unverified).
    "213": {"WBRI": 28.0, "WOTH": 25.0, "OOTH": 14.0, "MWBC": 1.5, "MWBA": 1.5, "MWAS": 2.5, "MOTH": 1.5,
            "BAFR": 5.0, "AOTH": 5.0, "AIND": 4.0, "ABAN": 4.0, "CHNE": 3.0, "BCRB": 2.1, "WIRI": 1.8,
            "APKN": 1.2, "BOTH": 0.8, "WROM": 0.7},
    # Kensington and Chelsea 2011 detail (verified).
    "207": {"WBRI": 39.3, "WIRI": 2.3, "WOTH": 28.9, "MWBC": 1.1, "MWBA": 0.7, "MWAS": 1.9, "MOTH": 2.0,
            "AIND": 1.6, "APKN": 0.6, "ABAN": 0.5, "CHNE": 2.5, "AOTH": 4.8, "BAFR": 3.5, "BCRB": 2.1,
            "BOTH": 1.0, "OOTH": 7.2},
    # Lambeth 2011 detail (verified).
    "208": {"WBRI": 39.0, "WIRI": 2.5, "WOTH": 15.5, "MWBC": 2.7, "MWBA": 1.4, "MWAS": 1.2, "MOTH": 2.3,
            "AIND": 1.6, "APKN": 1.0, "ABAN": 0.7, "CHNE": 1.5, "AOTH": 2.0, "BAFR": 11.6, "BCRB": 9.5,
            "BOTH": 4.8, "OOTH": 2.5},
    # Lewisham: unverified approximation (50% White, 26% Black, 9% Asian, 8% Mixed).
    "209": {"WBRI": 37.0, "WIRI": 1.5, "WOTH": 11.5, "BAFR": 12.0, "BCRB": 10.0, "BOTH": 4.0, "AIND": 2.0,
            "APKN": 1.0, "ABAN": 1.0, "CHNE": 1.5, "AOTH": 3.5, "MWBC": 3.5, "MWBA": 1.5, "MWAS": 1.5,
            "MOTH": 1.5, "OOTH": 7.0},
    # Blackpool: unverified approximation (~94% White, ~90% White British).
    "890": {"WBRI": 90.0, "WIRI": 0.7, "WOTH": 3.3, "AIND": 0.8, "APKN": 0.5, "ABAN": 0.4, "CHNE": 0.3,
            "AOTH": 0.5, "MWBC": 0.6, "MWAS": 0.7, "MWBA": 0.3, "MOTH": 0.4, "BAFR": 0.5, "BCRB": 0.2,
            "BOTH": 0.1, "OOTH": 0.7},
    # Hertfordshire: unverified approximation (~80% White, ~70% White British).
    "919": {"WBRI": 70.0, "WIRI": 1.5, "WOTH": 8.3, "WROM": 0.2, "AIND": 3.5, "APKN": 1.5, "ABAN": 1.0,
            "CHNE": 0.8, "AOTH": 1.7, "BAFR": 2.8, "BCRB": 0.9, "BOTH": 0.3, "MWBC": 1.0, "MWBA": 0.5,
            "MWAS": 1.2, "MOTH": 0.8, "OOTH": 4.0},
}

# Child population 0-17 (midpoints of calibration §5) and CIN rate multipliers (calibration §11.1).
LA_CHILD_POPULATION: dict[str, int] = {
    "213": 32_500, "207": 22_500, "919": 260_000, "890": 28_500, "380": 140_000, "208": 57_500, "209": 64_000,
}
LA_CIN_MULTIPLIER: dict[str, float] = {
    "213": 1.0, "207": 1.0, "919": 0.75, "890": 2.0, "380": 1.30, "208": 1.25, "209": 1.3,
}
LA_CLA_MULTIPLIER: dict[str, float] = {
    "213": 0.7, "207": 0.65, "919": 0.55, "890": 2.7, "380": 1.6, "208": 1.05, "209": 1.0,
}
NATIONAL_CIN_RATE = 332.9 / 10_000  # CIN per child at 31 March 2024 (calibration §3.1, verified)


def _cin_count(code: str) -> int:
    return round(LA_CHILD_POPULATION[code] * NATIONAL_CIN_RATE * LA_CIN_MULTIPLIER[code])


# Children in need per LA at 31 March: the LAs' real sizes (``--scale real``). Bradford's 6,165 (2023) is
# verified (calibration §3.6); the others are derived: child population midpoint x 332.9 per 10,000 x
# the LA's CIN multiplier (both unverified, calibration §5, §11.1).
LA_CIN_COUNT: dict[str, int] = {code: _cin_count(code) for code in LA_CHILD_POPULATION} | {"380": 6_165}
LA_CIN_COUNT_VERIFIED: frozenset[str] = frozenset({"380"})

# Children (not all ages) are more diverse than the whole population. The one child anchor (calibration
# §2.3, verified): Lambeth, people under 20 who are White British, 25% against 39% at all ages. Each LA's
# child White British share is its all-age share with the odds multiplied by a factor fitted to its own
# anchor; LAs without an anchor take the factor fitted to Lambeth's (unverified for them).
LA_CHILD_WBRI_ANCHOR: dict[str, tuple[float, float]] = {"208": (0.25, 0.39)}  # (under 20, all ages)
# Relative CIN rate per DfE major group = share among CIN (2020, known ethnicity) / share among under-18s
# (2011 Census): White 71.7/79, Asian 7.4/10, Black 8.6/5, Mixed and Other (8.8+3.4)/6 (the 6% left
# by 79/10/5). Derived from verified figures (calibration §2.3, §2.4); mixes years 2011 and 2020.
CIN_RATE_RATIO_BY_GROUP: dict[str, float] = {
    "White": 71.7 / 79, "Asian": 7.4 / 10, "Black": 8.6 / 5, "Mixed": 12.2 / 6, "Other": 12.2 / 6,
}

# CIN age bands at the reference date (calibration §3.5): unborn 1.8% (2020, derived from verified
# counts), under 5 including unborn 23.6% and 10-15 30.6% (2015-16, verified); the split of the
# remaining 46% between 5-9 and 16-17 and of under-5 between <1 and 1-4 is unverified (§11.2 shape).
CIN_AGE_BANDS: tuple[tuple[float, float, float], ...] = (
    (-0.6, -0.01, 0.018), (0.0, 1.0, 0.05), (1.0, 5.0, 0.168), (5.0, 10.0, 0.268), (10.0, 16.0, 0.306),
    (16.0, 17.99, 0.19),
)
CIN_SEX: tuple[float, float, float] = (0.538, 0.442, 0.002)  # M, F, U among born children (calibration §3.5)

CPP_CATEGORY: dict[str, float] = {"NEG": 0.505, "EMO": 0.357, "PHY": 0.074, "SAB": 0.038, "MUL": 0.026}
CPP_CATEGORY_BRADFORD: dict[str, float] = {"EMO": 0.47, "NEG": 0.37, "SAB": 0.10, "PHY": 0.06}

REFERRAL_SOURCES_CIN: dict[str, float] = {  # police 27.6%, schools 16.7%, health 14.3% (calibration §3.4)
    "6": 0.276, "2A": 0.167, "3A": 0.04, "3B": 0.04, "3D": 0.033, "3E": 0.03, "1A": 0.07, "1C": 0.02,
    "1B": 0.01, "4": 0.03, "5A": 0.04, "5C": 0.03, "5D": 0.06, "7": 0.03, "8": 0.05, "9": 0.01, "10": 0.014,
    "2B": 0.02, "3C": 0.01, "3F": 0.01, "1D": 0.005, "5B": 0.02,
}
PRIMARY_NEED: dict[str, float] = {  # abuse or neglect 50.6%, family dysfunction 17.4%, disability 9.6%
    "N1": 0.506, "N5": 0.174, "N2": 0.096, "N3": 0.05, "N4": 0.09, "N6": 0.03, "N7": 0.01, "N8": 0.044,
}
OTHER_FACTORS: dict[str, float] = {  # per assessment, calibration §3.4 (2015-16)
    "2B": 0.193, "17A": 0.193, "1B": 0.184, "16A": 0.175, "18C": 0.14, "19C": 0.064, "15A": 0.043,
    "11A": 0.039, "10A": 0.027, "13A": 0.012, "4A": 0.08, "5B": 0.03, "6B": 0.04,
}
DISABILITY_CODES: tuple[str, ...] = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON",
                                     "AUT", "DDA")

# ----------------------------------------------------------------------------- names
# Name groups for each ethnicity code: (forename group, surname group).
NAME_GROUPS: dict[str, tuple[str, str]] = {
    "WBRI": ("british", "british"), "WIRI": ("irish", "irish"), "WIRT": ("irish", "irish"),
    "WOTH": ("east_european", "east_european"), "WROM": ("east_european", "east_european"),
    "MWBC": ("british", "caribbean"), "MWBA": ("british", "african"), "MWAS": ("british", "pakistani"),
    "MOTH": ("british", "british"), "AIND": ("indian", "indian"), "APKN": ("pakistani", "pakistani"),
    "ABAN": ("bangladeshi", "bangladeshi"), "AOTH": ("indian", "indian"), "BCRB": ("british", "caribbean"),
    "BAFR": ("african", "african"), "BOTH": ("african", "african"), "CHNE": ("chinese", "chinese"),
    "OOTH": ("arab", "arab"), "REFU": ("british", "british"), "NOBT": ("british", "british"),
}
HIGH_VARIATION_GROUPS: frozenset[str] = frozenset({"pakistani", "bangladeshi", "african", "arab", "indian"})

# ONS baby names 2024 top names (calibration §8.1), rank-weighted; Muhammad spellings 0.68/0.21/0.11.
BRITISH_BOYS = ("Muhammad", "Noah", "Oliver", "George", "Leo", "Arthur", "Oscar", "Theodore", "Freddie",
                "Theo", "Archie", "Jack", "Henry", "Alfie", "Charlie", "Thomas", "William", "Jacob", "Harry",
                "Joshua", "James", "Daniel", "Ethan", "Lucas", "Isaac", "Samuel", "Max", "Finley", "Mason",
                "Harrison", "Jayden", "Riley", "Tyler", "Logan", "Dylan", "Lewis", "Callum", "Kai", "Reggie",
                "Tommy", "Louis", "Jake", "Ryan", "Liam", "Luke", "Connor", "Ben", "Adam", "Alexander", "Joseph")
BRITISH_GIRLS = ("Olivia", "Amelia", "Lily", "Isla", "Ivy", "Florence", "Freya", "Poppy", "Ava", "Elsie",
                 "Isabella", "Sophia", "Mia", "Grace", "Evie", "Emily", "Willow", "Ella", "Rosie", "Sienna",
                 "Charlotte", "Jessica", "Ruby", "Millie", "Daisy", "Phoebe", "Chloe", "Lacey", "Maisie",
                 "Layla", "Scarlett", "Amber", "Megan", "Holly", "Lauren", "Leah", "Hannah", "Sophie",
                 "Ellie", "Abigail", "Matilda", "Harper", "Erin", "Lola", "Summer", "Aria", "Eva", "Esme",
                 "Bethany", "Kayleigh")
SURNAME_HEAD: dict[str, int] = {  # FaNBI bearers in GB (calibration §8.2)
    "Smith": 546_960, "Jones": 422_023, "Williams": 294_625, "Taylor": 250_780, "Davies": 215_074,
    "Brown": 195_410, "Wilson": 186_540, "Evans": 171_816, "Thomas": 159_643,
}
PAKISTANI_BOYS = ("Muhammad", "Mohammed", "Mohammad", "Ali", "Ahmed", "Hassan", "Bilal", "Usman", "Hamza",
                  "Zain", "Ayaan", "Ibrahim", "Yusuf", "Abdullah", "Umar", "Imran", "Adnan", "Zakariya",
                  "Haris", "Rayyan", "Saad", "Faisal", "Tariq", "Asif", "Kamran", "Shahid", "Waqas", "Arslan")
PAKISTANI_GIRLS = ("Aisha", "Fatima", "Maryam", "Zainab", "Hafsa", "Amna", "Sana", "Hira", "Iqra",
                   "Khadija", "Eman", "Hania", "Inaaya", "Safa", "Mehwish", "Nadia", "Saima", "Rubina",
                   "Samina", "Shazia", "Nabila", "Ayesha", "Anaya", "Zara", "Alishba", "Noor")
PAKISTANI_SURNAMES = ("Khan", "Hussain", "Ahmed", "Ali", "Akhtar", "Iqbal", "Mahmood", "Shah", "Butt",
                      "Malik", "Rashid", "Aslam", "Bibi", "Raza", "Mirza", "Qureshi", "Sadiq", "Anwar",
                      "Javed", "Riaz", "Ashraf", "Nawaz", "Saleem", "Hanif", "Yousaf", "Rehman")
PAKISTANI_SURNAME_WEIGHTS = (14, 12, 10, 9, 5, 5, 5, 4, 3, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2)
BANGLADESHI_BOYS = ("Mohammed", "Muhammad", "Abdul", "Rahim", "Karim", "Jamal", "Rafiq", "Shahid", "Sajid",
                    "Arif", "Imran", "Ayaan", "Zayan", "Rayhan", "Ibrahim", "Yusuf")
BANGLADESHI_GIRLS = ("Fatema", "Nasrin", "Shirin", "Rokeya", "Taslima", "Jannat", "Sumaiya", "Tahmina",
                     "Ayesha", "Maryam", "Hafsa", "Inaya", "Ruksana", "Sabina")
BANGLADESHI_SURNAMES = ("Begum", "Miah", "Uddin", "Rahman", "Islam", "Ahmed", "Hussain", "Khatun", "Ali",
                        "Hoque", "Chowdhury", "Akter", "Alam", "Hassan")
AFRICAN_BOYS = ("David", "Daniel", "Samuel", "Joshua", "Emmanuel", "Michael", "Oluwaseun", "Chidi",
                "Emeka", "Kwame", "Kofi", "Tobi", "Tunde", "Ayo", "Abdi", "Mohamed", "Abdullahi", "Yusuf",
                "Kwabena", "Chinedu", "Femi", "Isaac", "Elijah", "Jayden")
AFRICAN_GIRLS = ("Blessing", "Precious", "Esther", "Grace", "Favour", "Chiamaka", "Adaeze", "Amara",
                 "Abena", "Ifeoma", "Temitope", "Folake", "Ama", "Akosua", "Hodan", "Amina", "Sagal",
                 "Fadumo", "Deborah", "Comfort", "Zara", "Nia")
AFRICAN_SURNAMES = ("Okafor", "Adeyemi", "Mensah", "Owusu", "Osei", "Okonkwo", "Adebayo", "Boateng",
                    "Mohamed", "Abdi", "Ahmed", "Hassan", "Eze", "Nwosu", "Asante", "Ogunleye", "Babatunde",
                    "Oduya", "Appiah", "Farah", "Warsame", "Nwachukwu", "Afolabi", "Okoro", "Danso")
CARIBBEAN_SURNAMES = ("Campbell", "Brown", "Williams", "Thomas", "Francis", "Grant", "Clarke", "Morgan",
                      "Richards", "Edwards", "Robinson", "Johnson", "Henry", "Reid", "Gordon", "Samuels",
                      "Bailey", "Thompson", "Lewis", "Stewart", "Graham", "Walker", "Barrett", "Forbes")
INDIAN_BOYS = ("Arjun", "Aarav", "Rohan", "Vivaan", "Krish", "Dev", "Aryan", "Ravi", "Sanjay", "Rahul",
               "Amit", "Vikram", "Harpreet", "Gurpreet", "Jaspreet", "Manpreet", "Sai", "Ishaan", "Kabir")
INDIAN_GIRLS = ("Priya", "Anika", "Diya", "Aanya", "Kavya", "Simran", "Navneet", "Asha", "Meera", "Pooja",
                "Neha", "Riya", "Sita", "Jasleen", "Harleen", "Ishani", "Tara")
INDIAN_SURNAMES = ("Patel", "Singh", "Kaur", "Sharma", "Shah", "Gill", "Sandhu", "Kumar", "Mistry", "Desai",
                   "Joshi", "Mehta", "Sidhu", "Dhillon", "Chauhan", "Gupta", "Rai", "Naidoo", "Pillai")
INDIAN_SURNAME_WEIGHTS = (20, 16, 8, 4, 4, 4, 3, 4, 2, 2, 2, 2, 2, 2, 1, 2, 1, 1, 1)
CHINESE_BOYS = ("Wei", "Jun", "Hao", "Ming", "Jian", "Tao", "Kai", "Chen", "Yi", "Jason", "Kevin", "Ryan")
CHINESE_GIRLS = ("Mei", "Li", "Xin", "Yan", "Ying", "Hui", "Jing", "Ling", "Grace", "Amy", "Chloe", "Joyce")
CHINESE_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wong", "Chan", "Lee",
                    "Ng", "Cheung", "Lam", "Lin", "Wu")
ARAB_BOYS = ("Omar", "Yusuf", "Ahmed", "Mohamed", "Ali", "Hassan", "Khalid", "Karim", "Adam", "Zaid",
             "Tariq", "Sami", "Ibrahim", "Mustafa")
ARAB_GIRLS = ("Fatima", "Mariam", "Layla", "Nour", "Sara", "Yasmin", "Huda", "Rania", "Salma", "Amira",
              "Hana", "Lina", "Aya")
ARAB_SURNAMES = ("Ali", "Hassan", "Saleh", "Abdullah", "Mahmoud", "Ibrahim", "Haddad", "Khalil", "Mansour",
                 "Nasser", "Youssef", "Said", "Hamad", "Osman")
EAST_EUROPEAN_CHILD_BOYS = ("Jakub", "Filip", "Antoni", "Szymon", "Andrei", "Luca", "David", "Matei",
                            "Nikola", "Adam", "Oliwer", "Aleksander", "Stefan")
EAST_EUROPEAN_CHILD_GIRLS = ("Zuzanna", "Julia", "Maja", "Lena", "Maria", "Ioana", "Sofia", "Alexandra",
                             "Natalia", "Amelia", "Hanna", "Elena", "Antonia")

# Spelling / transliteration variants (calibration §8.3) and nicknames (carltonnorthern/nicknames style pairs).
NAME_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("Muhammad", "Mohammed", "Mohammad", "Mohamed", "Muhammed", "Mohamad", "Mohd"),
    ("Ahmed", "Ahmad", "Ahmet"), ("Hussain", "Hussein", "Husain", "Hossein"), ("Umar", "Omar", "Omer"),
    ("Yusuf", "Yousuf", "Yousef", "Youssef"), ("Ibrahim", "Ebrahim"), ("Aisha", "Ayesha", "Aysha"),
    ("Fatima", "Fatema", "Fatimah"), ("Maryam", "Mariam", "Miriam"), ("Zainab", "Zaynab"),
    ("Khadija", "Khadijah"), ("Abdullahi", "Abdullah"), ("Oluwaseun", "Seun"), ("Chiamaka", "Amaka"),
    ("Mohamed", "Mohammed", "Muhamed"), ("Begum", "Begam"), ("Miah", "Mia"), ("Chowdhury", "Choudhury"),
    ("Rahman", "Rehman"), ("Akter", "Akhter", "Akhtar"), ("Hoque", "Haque", "Hoq"),
)
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Billy", "Liam"), "Thomas": ("Tom", "Tommy"), "James": ("Jim", "Jamie"),
    "Joshua": ("Josh",), "Daniel": ("Dan", "Danny"), "Samuel": ("Sam", "Sammy"), "Alexander": ("Alex",),
    "Joseph": ("Joe",), "Benjamin": ("Ben",), "Theodore": ("Theo", "Teddy"), "Frederick": ("Freddie",),
    "Charles": ("Charlie",), "Harrison": ("Harry",), "Henry": ("Harry",), "Jacob": ("Jake",),
    "Elizabeth": ("Beth", "Liz", "Lizzie"), "Isabella": ("Bella", "Izzy"), "Charlotte": ("Lottie",),
    "Florence": ("Flo",), "Abigail": ("Abbie", "Abby"), "Jessica": ("Jess",), "Margaret": ("Maggie",),
    "Rebecca": ("Becky",), "Victoria": ("Vicky",), "Katherine": ("Kate", "Katie"), "Emily": ("Emmy",),
    "Matilda": ("Tilly",), "Amelia": ("Millie",), "Olivia": ("Liv",), "Sophia": ("Sophie",),
    "Christopher": ("Chris",), "Michael": ("Mike",), "Nicholas": ("Nick",), "Matthew": ("Matt",),
    "Emmanuel": ("Manny",), "Oluwaseun": ("Seun",), "Abdullahi": ("Abdi",), "Temitope": ("Tope",),
}

POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the inward-code letters in use (no C I K M O V)
