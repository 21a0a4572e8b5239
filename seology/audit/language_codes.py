"""Valid hreflang values: ISO 639-1 language, optional ISO 15924 script, optional
ISO 3166-1 alpha-2 region (or UN M.49 area), or `x-default`.

The code lists are copied from Debian's iso-codes (ISO 639-2 entries with a two-letter
code, ISO 3166-1, ISO 15924) so that validation needs no network and no extra
dependency; they change rarely.
"""

from __future__ import annotations

import re

LANGUAGES = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr
    cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu
    gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk
    kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms
    mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro
    ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl
    tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()  # noqa: SIM905 - a word list reads better than 200 quoted strings
)

REGIONS = frozenset(
    """
    ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm
    bn bo bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx
    cy cz de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg
    gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir
    is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv
    ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne
    nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro
    rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf
    tg th tj tk tl tm tn to tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf
    ws ye yt za zm zw
    """.split()  # noqa: SIM905 - a word list reads better than 200 quoted strings
)

SCRIPTS = frozenset(
    """
    adlm afak aghb ahom arab aran armi armn avst bali bamu bass batk beng bhks blis
    bopo brah brai bugi buhd cakm cans cari cham cher cirt copt cprt cyrl cyrs deva
    dsrt dupl egyd egyh egyp elba ethi geok geor glag goth gran grek gujr guru hanb
    hang hani hano hans hant hatr hebr hira hluw hmng hrkt hung inds ital jamo java
    jpan jurc kali kana khar khmr khoj kitl kits knda kore kpel kthi lana laoo latf
    latg latn leke lepc limb lina linb lisu loma lyci lydi mahj mand mani marc maya
    mend merc mero mlym modi mong moon mroo mtei mult mymr narb nbat newa nkgb nkoo
    nshu ogam olck orkh orya osge osma palm pauc perm phag phli phlp phlv phnx piqd
    plrd prti qaaa qabx rjng roro runr samr sara sarb saur sgnw shaw shrd sidd sind
    sinh sora sund sylo syrc syre syrj syrn tagb takr tale talu taml tang tavt telu
    teng tfng tglg thaa thai tibt tirh ugar vaii visp wara wole xpeo xsux yiii zinh
    zmth zsye zsym zxxx zyyy zzzz
    """.split()  # noqa: SIM905 - a word list reads better than 200 quoted strings
)

_M49 = re.compile(r"^[0-9]{3}$")


def valid_hreflang(value: str) -> bool:
    """True for `en`, `en-GB`, `zh-Hant`, `zh-Hant-TW`, `es-419` and `x-default`.

    The value is judged as written: search engines do not trim it, so `" x-default"`
    is not `x-default`.
    """
    code = value.lower()
    if code == "x-default":
        return True
    parts = code.split("-")
    if parts[0] not in LANGUAGES or len(parts) > 3:
        return False
    rest = parts[1:]
    if rest and len(rest[0]) == 4:
        if rest[0] not in SCRIPTS:
            return False
        rest = rest[1:]
    if not rest:
        return True
    return len(rest) == 1 and (rest[0] in REGIONS or bool(_M49.match(rest[0])))
