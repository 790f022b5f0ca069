"""The bilingual lexicon: every word the parser understands, in Chinese and English.

A term maps to one or more ``Sense``s (欢快 is both a tempo and a mood). Terms are stored
normalised (lower case, no spaces around Chinese) so the parser can look a run of tokens
up as one string. Style ids are those of ``multitrack.styles``; moods, energies, dynamics
and tempo classes are defined here. Instruments live in ``models.text.instruments``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from models.text.instruments import INSTRUMENTS
from multitrack.styles import STYLE_IDS

MOODS: tuple[str, ...] = (
    "happy", "sad", "calm", "zen", "epic", "tense", "romantic", "nostalgic", "dreamy",
    "dark", "energetic", "playful", "mysterious", "solemn", "warm", "hopeful", "lonely",
    "angry",
)  # fmt: skip
ENERGIES: tuple[str, ...] = ("low", "medium", "high")
DYNAMICS: tuple[str, ...] = ("crescendo", "diminuendo", "soft", "loud")
# The energy a mood implies when no energy word is given: low for the still, inward moods
# (calm, zen, sad, dreamy, lonely, warm, solemn), high for the driving ones (epic,
# energetic, angry), medium for the rest. Romantic is medium: it covers tango, bolero,
# waltz and the love song as much as a lullaby-soft piece, and its tenderness is already in
# the velocity layer's mood feel (shallow accents, a little softer); 温柔 / tender (romantic
# and low) and 柔和 / gentle say low.
MOOD_ENERGY: dict[str, str] = {
    "happy": "medium", "sad": "low", "calm": "low", "zen": "low", "epic": "high",
    "tense": "medium", "romantic": "medium", "nostalgic": "medium", "dreamy": "low",
    "dark": "medium", "energetic": "high", "playful": "medium", "mysterious": "medium",
    "solemn": "low", "warm": "low", "hopeful": "medium", "lonely": "low", "angry": "high",
}  # fmt: skip
# Moods that contradict each other (the first named is kept, the other noted).
OPPOSED_MOODS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("happy", "sad"), ("happy", "dark"), ("happy", "lonely"), ("calm", "tense"),
        ("calm", "angry"), ("calm", "energetic"), ("zen", "energetic"), ("zen", "angry"),
        ("hopeful", "dark"), ("playful", "solemn"),
    )
)  # fmt: skip
# Tempo classes: inclusive BPM range (quarter notes a minute).
TEMPO_CLASSES: dict[str, tuple[int, int]] = {
    "very slow": (40, 60),
    "slow": (60, 76),
    "laid-back": (72, 92),
    "moderate": (92, 112),
    "upbeat": (112, 132),
    "fast": (132, 160),
    "very fast": (160, 200),
}


@dataclass(frozen=True)
class Sense:
    """One meaning of a term. ``field`` names what it sets; ``value`` is the id it sets it to.

    Fields: style, mood, tempo, energy, dynamics, meter, instrument, stem, negate, solo,
    lead, accomp, only, duet, trio, quartet, guitar_tone, mode, bass_line. ``weak`` marks a style hint (a region or an
    adjective) that loses to a genre noun; ``kin`` a genre the corpus lacks, played as the
    style it names (``KIN_GENRES``).
    """

    field: str
    value: str
    weak: bool = False
    kin: bool = False


_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BY_HAN = re.compile(rf"\s+(?=[{_HAN}])|(?<=[{_HAN}])\s+")


def normalise_term(text: str) -> str:
    """Lower case (ASCII only, so lengths are kept), NFKC, single spaces, none beside Han."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c.lower() if c.isascii() else c for c in text)
    text = " ".join(text.split())
    return _SPACE_BY_HAN.sub("", text)


def _style(
    sid: str, terms: str, *extra: Sense, weak: str = ""
) -> list[tuple[str, tuple[Sense, ...]]]:
    out = [(t, (Sense("style", sid), *extra)) for t in terms.split("|") if t]
    out += [(t, (Sense("style", sid, weak=True), *extra)) for t in weak.split("|") if t]
    return out


_HIGH = Sense("energy", "high")
# Chinese genre names also appear with these suffixes: 摇滚乐, 爵士风格, 民谣风, 华尔兹舞曲.
_STYLE_SUFFIXES: tuple[str, ...] = ("乐", "音乐", "风格", "风", "曲", "歌", "舞曲", "歌曲")

_STYLE_TERMS = [
    *_style("pop", "流行|华语流行|流行歌|流行乐|pop|pop song|c-pop|cpop|k-pop|kpop|j-pop|jpop|mandopop|city pop|synth pop|synthpop|dance pop", weak="日系|动漫|动漫风|二次元|anime|日系动漫|日系动漫风"),
    *_style("pop", "抖音热梗bgm|抖音热梗|抖音bgm|抖音|热梗|短视频bgm|网红bgm|直播间暖场|直播间|暖场|tiktok|tiktok bgm|douyin|livestream", _HIGH),
    # a ballad is slow, also where another style wins the style ("jazz ballad": slow jazz)
    *_style("ballad", "抒情|抒情歌|抒情曲|抒情歌曲|ballad|ballads|power ballad", Sense("tempo", "slow")),
    *_style("rock", "摇滚|后摇|独立摇滚|另类摇滚|软摇滚|英伦摇滚|布鲁斯摇滚|rock|rock and roll|rock'n'roll|rock n roll|indie rock|alternative rock|alt rock|soft rock|post-rock|post rock|blues rock|grunge|britpop"),
    *_style("rock", "硬摇滚|金属|重金属|死亡金属|hard rock|metal|heavy metal|metalcore", _HIGH),
    *_style("punk", "朋克|朋克摇滚|流行朋克|punk|punk rock|pop punk|pop-punk"),
    *_style("folk", "民谣|城市民谣|校园民谣|独立民谣|民歌|folk|folk song|folk songs|indie folk|singer-songwriter|americana"),
    *_style("country", "乡村|乡村音乐|乡村民谣|西部|country|country music|western|honky tonk country"),
    *_style("bluegrass", "蓝草|蓝草音乐|bluegrass"),
    *_style("blues", "蓝调|布鲁斯|blues|delta blues|12-bar blues|twelve-bar blues", weak="bluesy"),
    *_style("jazz", "爵士|爵士乐|酒吧爵士|冷爵士|融合爵士|jazz|smooth jazz|cool jazz|jazz fusion|jazz combo|acid jazz", weak="jazzy"),
    # a jazz trio is piano, bass and drums (models.text.orchestration), no horn
    *_style("jazz", "爵士三重奏|jazz trio", Sense("trio", "")),
    # a string quartet is two violins, viola and cello (models.text.orchestration): classical
    # unless a genre is named ("a pop song for string quartet")
    *_style("classical", "", Sense("quartet", ""), weak="弦乐四重奏|string quartet|string quartets"),
    *_style("jazz", "爵士华尔兹|jazz waltz", Sense("meter", "3/4")),
    *_style("swing", "摇摆|摇摆乐|摇摆爵士|大乐队|swing|big band|swing jazz", weak="摇摆感|swing feel|swung|shuffle"),
    *_style("bebop", "比博普|咆勃|bebop|bop|hard bop"),
    *_style("ragtime", "拉格泰姆|散拍|散拍乐|ragtime|rag"),
    *_style("bossa_nova", "波萨诺瓦|巴萨诺瓦|波萨|bossa nova|bossa|bossanova|bossa-nova"),
    *_style("samba", "桑巴|samba"),
    *_style("salsa", "萨尔萨|莎莎|曼波|salsa|mambo|son cubano", weak="拉丁|latin"),
    *_style("tango", "探戈|tango|argentine tango"),
    *_style("rumba", "伦巴|波莱罗|rumba|rhumba|bolero"),
    *_style("cha_cha", "恰恰|恰恰恰|cha-cha|cha cha|cha-cha-cha|chachacha|cha cha cha"),
    *_style("reggae", "雷鬼|reggae|dub|roots reggae", weak="牙买加|jamaican"),
    *_style("ska", "斯卡|ska"),
    *_style("funk", "放克|疯克|funk", weak="funky"),
    *_style("disco", "迪斯科|迪斯可|的士高|disco|nu-disco|nu disco"),
    *_style("rnb", "节奏布鲁斯|灵魂乐|r&b|rnb|r'n'b|r and b|soul|neo soul|neo-soul|slow jam"),
    *_style("hiphop", "嘻哈|说唱|hip hop|hip-hop|hiphop|rap|trap|陷阱|陷阱说唱|boom bap|boom-bap|old school hip hop"),
    *_style("lofi", "低保真|lo-fi|lofi|lo fi|lofi hip hop|lo-fi hip hop|chillhop"),
    *_style("edm", "电音|电子|电子音乐|电子舞曲|浩室|科技舞曲|出神|迷幻舞曲|回响贝斯|合成器浪潮|未来贝斯|蹦迪|edm|electronic|electronica|techno|house|house music|deep house|trance|dubstep|electro|synthwave|future bass|drum and bass|dnb|minimal techno|electronic dance", weak="舞曲|dance|赛博朋克|cyberpunk|赛博"),
    *_style("waltz", "华尔兹|圆舞曲|维也纳华尔兹|waltz|waltzes|viennese waltz"),
    *_style("march", "进行曲|军乐|军歌|march|marches|military march"),
    *_style("polka", "波尔卡|polka"),
    *_style("hymn", "赞美诗|圣歌|福音|福音音乐|众赞歌|敬拜|hymn|hymns|gospel|chorale|worship|spiritual", weak="教堂|church"),
    *_style("celtic", "凯尔特|吉格|里尔舞曲|celtic|reel", weak="爱尔兰|苏格兰|irish|scottish"),
    *_style("celtic", "jig|jigs|吉格舞曲|irish jig", Sense("meter", "6/8")),
    *_style("classical", "古典|古典乐|古典音乐|巴洛克|室内乐|交响乐|交响|协奏曲|奏鸣曲|夜曲|classical|baroque|chamber music|symphony|symphonic|concerto|sonata|nocturne|romantic era"),
    *_style("classical", "小步舞曲|minuet", Sense("meter", "3/4")),
    # film music is written for an orchestra: a hint, so "cinematic lo-fi" stays lo-fi
    *_style("classical", "", weak="电影配乐|影视配乐|电影原声|史诗配乐|预告片音乐|film score|film music|movie score|movie soundtrack|film soundtrack|trailer music"),
    *_style("lullaby", "摇篮曲|催眠曲|安眠曲|哄睡|助眠|睡前|入睡|lullaby|lullabies|bedtime|cradle song"),
    *_style("guofeng", "国风|古风|中国风|中国古典|民乐|民族音乐|中国传统|传统中国|传统民乐|江南丝竹|丝竹|广东音乐|戏曲|昆曲|武侠|仙侠|古装|宫廷|古韵|guofeng|chinese traditional|traditional chinese|chinese folk|chinese classical|wuxia|xianxia|c-style",
           weak="东方|东方韵味|oriental|chinese|china|京剧|peking opera|chinese opera|江湖"),
    # Famous Chinese pieces a producer names as a reference.
    *_style("guofeng", "雨打芭蕉|高山流水|梅花三弄|平湖秋月|渔舟唱晚|茉莉花|彩云追月|步步高|赛马|阳关三叠|广陵散"),
    *_style("guofeng", "春江花月夜|夕阳箫鼓", Sense("mood", "calm")),
    *_style("guofeng", "十面埋伏", Sense("mood", "tense")),
    *_style("guofeng", "二泉映月|汉宫秋月", Sense("mood", "sad")),
]  # fmt: skip

# Genres the corpus has no windows of, each played as the corpus style nearest in groove
# and band (afrobeat's horns and interlocking guitars are funk's; dancehall and reggaeton
# ride reggae's offbeat; trip hop, drill and phonk are hip hop's beats at their tempos).
# Without these a producer's "dancehall" reached the sentence embedding, which heard a
# waltz in it (cosine 0.41) and made it 3/4. The parse says which style plays the genre. A
# corpus genre named beside one wins ("afrobeat-flavoured pop" is pop), as a genre noun wins
# over a regional hint (``models.text.resolve``).
KIN_GENRES: dict[str, tuple[str, str]] = {
    "funk": ("afrobeat|afrobeats|afro-beat|afro beat|afro-funk|afro funk|afropop|afro-pop|highlife|go-go", "非洲节拍|非洲放克|非洲流行"),
    "reggae": ("dancehall|riddim|reggaeton|dembow|lovers rock", "雷鬼动|雷鬼顿|舞厅雷鬼"),
    "hiphop": ("drill|uk drill|grime|phonk|trip hop|trip-hop|triphop|g-funk|crunk|cloud rap|emo rap", "钻头说唱|指令说唱|迷幻说唱|旋律说唱"),
    "lofi": ("vaporwave|chillwave|downtempo|chillout|chill-out|chill out|bedroom lo-fi", "蒸汽波|寒潮|沙发音乐"),
    "edm": ("amapiano|uk garage|2-step|two-step|speed garage|future garage|breakbeat|breakbeats|jungle|hardstyle|big room|electro house|progressive house|tech house|tropical house|psytrance|psy trance|glitch|idm|moombahton|hyperpop|chiptune|8-bit|8 bit|synth-pop dance", "英式车库|碎拍|硬核电子|鼓打贝斯|芯片音乐|八比特|像素音乐"),
    "rock": ("shoegaze|math rock|progressive rock|prog rock|psychedelic rock|psych rock|stoner rock|garage rock|surf rock|rockabilly|new wave|nu metal|thrash metal|death metal|black metal|djent|arena rock|classic rock|southern rock|folk rock", "盯鞋|数学摇滚|前卫摇滚|迷幻摇滚|车库摇滚|冲浪摇滚|山地摇滚|新浪潮|新金属|激流金属|民谣摇滚"),
    "punk": ("emo|post-punk|post punk|hardcore punk|skate punk", "后朋克|硬核朋克|情绪硬核"),
    "rnb": ("motown|doo-wop|doo wop|doowop|new jack swing|quiet storm|contemporary r&b", "摩城|杜沃普|新杰克摇摆"),
    "blues": ("boogie woogie|boogie-woogie|jump blues|chicago blues|texas blues|shuffle blues", "布吉伍吉|芝加哥蓝调"),
    "country": ("outlaw country|country pop|cowboy song|cowboy songs", "牛仔歌|美式乡村"),
    "swing": ("gypsy jazz|jazz manouche|manouche|electro swing|jump swing", "吉普赛爵士|电子摇摆"),
    "jazz": ("lounge|lounge jazz|jazz lounge|latin jazz|modal jazz|jazz standard", "爵士标准曲|酒廊"),
    "salsa": ("cumbia|merengue|timba|latin pop|salsa romantica", "昆比亚|梅伦格|拉丁流行"),
    "rumba": ("bachata|flamenco|rumba flamenca|nuevo flamenco|bolero son", "弗拉门戈|弗拉明戈|巴恰塔"),
    "pop": ("indie pop|dream pop|electropop|teen pop|bedroom pop|art pop|bubblegum pop|europop|latin ballad pop", "韩流|韩国流行|日本流行|欧美流行|梦幻流行|独立流行"),
    "disco": ("funky house|italo disco|eurodisco|euro disco|hi-nrg", "广场舞|意大利迪斯科"),
    "classical": ("impressionist|impressionism|opera|aria|art song|romantic period", "印象派|歌剧|咏叹调"),
    "guofeng": ("mongolian|tibetan|uyghur|silk road", "草原|蒙古|蒙古族|藏族|藏地|新疆|西域|丝绸之路|民族风|少数民族"),
    "celtic": ("sea shanty|shanty|bagpipe tune", "水手歌|船歌"),
}  # fmt: skip
KIN_TERMS: dict[str, str] = {
    normalise_term(term): sid
    for sid, (english, chinese) in KIN_GENRES.items()
    for term in f"{english}|{chinese}".split("|")
}
_STYLE_TERMS += [(term, (Sense("style", sid, kin=True),)) for term, sid in KIN_TERMS.items()]


def _senses(field: str, value: str, terms: str) -> list[tuple[str, tuple[Sense, ...]]]:
    return [(t, (Sense(field, value),)) for t in terms.split("|") if t]


_MOOD_TERMS = [
    *_senses("mood", "happy", "欢乐|快乐|开心|愉快|喜悦|高兴|明朗|阳光|喜庆|节日|热闹|欢腾|欢天喜地|happy|joyful|joyous|cheerful|merry|fun|sunny|festive|jolly|bright|feel-good|gleeful"),
    *_senses("mood", "sad", "悲伤|伤感|忧伤|哀伤|难过|伤心|悲凉|凄凉|哀怨|心碎|催泪|悲痛|悲哀|悲情|忧郁|sad|melancholy|melancholic|sorrowful|heartbroken|mournful|tearful|tragic|sorrow|heartbreak|grief"),
    *_senses("mood", "calm", "宁静|平静|安静|安详|恬静|静谧|放松|祥和|清幽|淡雅|轻松|舒适|calm|peaceful|serene|tranquil|relaxing|soothing|quiet|ambient|placid"),
    *_senses("mood", "zen", "禅意|禅|空灵|冥想|佛系|禅修|打坐|佛教|zen|meditative|meditation|buddhist|mindful|mindfulness"),
    *_senses("mood", "epic", "史诗|宏大|磅礴|恢弘|大气|壮丽|壮阔|雄伟|雄壮|气势|英雄|电影感|epic|grand|cinematic|heroic|majestic|anthemic|trailer|monumental|fanfare"),
    *_senses("mood", "tense", "紧张|悬疑|不安|惊悚|悬念|焦虑|紧迫|追逐|tense|tension|suspense|suspenseful|anxious|thriller|nervous|chase"),
    *_senses("mood", "romantic", "浪漫|甜蜜|爱情|情歌|温柔|恋爱|柔情|深情|缠绵|优雅|婚礼|romantic|love song|lovely|sweet|tender|sensual|intimate|elegant|wedding|bridal"),
    *_senses("mood", "nostalgic", "怀旧|复古|回忆|老式|年代感|乡愁|思乡|八十年代|九十年代|80年代|90年代|70年代|nostalgic|nostalgia|retro|vintage|old-school|old school|80s|90s|70s|60s|throwback"),
    *_senses("mood", "dreamy", "梦幻|迷幻|朦胧|飘渺|缥缈|唯美|仙气|梦境|dreamy|ethereal|hazy|psychedelic|dreamlike|floating|atmospheric"),
    *_senses("mood", "dark", "黑暗|阴暗|暗黑|阴郁|压抑|诡异|恐怖|阴森|邪恶|dark|ominous|gloomy|eerie|creepy|sinister|horror|spooky|haunting|halloween|menacing|brooding"),
    *_senses("mood", "energetic", "热血|激昂|动感|活力|燃|带劲|炸裂|嗨|燥|激情|热情|振奋|燃曲|energetic|powerful|hype|exciting|pumping|driving|intense|fiery|passionate|rousing"),
    *_senses("mood", "playful", "俏皮|可爱|童趣|儿童|童谣|儿歌|卡通|调皮|萌|童真|孩子|playful|cute|whimsical|quirky|kids|kid|children's|childrens|children|cartoon|childlike|nursery|silly"),
    *_senses("mood", "mysterious", "神秘|奇幻|魔幻|玄幻|未知|蒸汽朋克|mysterious|mystical|magical|fantasy|enigmatic|mystery|steampunk|otherworldly"),
    *_senses("mood", "solemn", "庄严|肃穆|庄重|神圣|悼念|虔诚|solemn|sacred|reverent|holy|funeral|ceremonial|stately|dignified"),
    *_senses("mood", "warm", "温暖|温馨|治愈|暖心|治愈系|暖|舒心|warm|cozy|cosy|heartwarming|healing|comforting|wholesome"),
    *_senses("mood", "hopeful", "希望|励志|向上|正能量|鼓舞|昂扬|光明|充满希望|hopeful|uplifting|inspiring|inspirational|optimistic|triumphant|anthem"),
    *_senses("mood", "lonely", "孤独|寂寞|孤单|落寞|惆怅|lonely|lonesome|solitude|isolated"),
    *_senses("mood", "angry", "愤怒|暴躁|狂暴|咆哮|愤恨|angry|aggressive|furious|rage|raging|violent"),
]  # fmt: skip

_TEMPO_TERMS = [
    *_senses("tempo", "very slow", "极慢|很慢|非常慢|特别慢|超慢|广板|庄板|very slow|largo|grave|lento"),
    *_senses("tempo", "slow", "慢|慢速|缓慢|舒缓|慢板|柔板|缓板|慢节奏|慢歌|慢一点|慢慢|缓|徐缓|slow|slowly|adagio|downtempo|slow tempo|slower"),
    *_senses("tempo", "laid-back", "慵懒|悠闲|闲适|从容|松弛|悠然|行板|laid-back|laid back|laidback|relaxed|chill|chilled|mellow|easygoing|easy-going|lazy|andante|unhurried"),
    *_senses("tempo", "moderate", "中速|中板|适中|中等速度|中庸|不快不慢|moderate|moderately|medium tempo|mid-tempo|midtempo|moderato|medium"),
    *_senses("tempo", "upbeat", "欢快|轻快|明快|活泼|小快板|跳跃|upbeat|lively|bouncy|brisk|allegretto|peppy|sprightly"),
    *_senses("tempo", "fast", "快|快速|快节奏|快板|急速|快一点|较快|紧凑|fast|quick|uptempo|up-tempo|allegro|speedy|rapid|vivace|faster"),
    *_senses("tempo", "very fast", "急板|极快|飞快|超快|很快|非常快|狂飙|very fast|presto|prestissimo|frantic|breakneck|blazing"),
    ("激烈", (Sense("tempo", "fast"), _HIGH)),
    ("欢快", (Sense("tempo", "upbeat"), Sense("mood", "happy"))),
    ("轻快", (Sense("tempo", "upbeat"), Sense("mood", "happy"))),
    ("活泼", (Sense("tempo", "upbeat"), Sense("mood", "playful"))),
    ("chill", (Sense("tempo", "laid-back"), Sense("energy", "low"))),
    ("慵懒", (Sense("tempo", "laid-back"), Sense("energy", "low"))),
    ("lively", (Sense("tempo", "upbeat"), Sense("mood", "happy"))),
    # Compound names that also name a style or an energy.
    ("jazz guitar", (Sense("instrument", "jazz_guitar"), Sense("style", "jazz"))),
    ("爵士吉他", (Sense("instrument", "jazz_guitar"), Sense("style", "jazz"))),
    ("rock organ", (Sense("instrument", "rock_organ"), Sense("style", "rock"))),
    ("摇滚风琴", (Sense("instrument", "rock_organ"), Sense("style", "rock"))),
    ("喜庆", (Sense("mood", "happy"), _HIGH)),
    ("热闹", (Sense("mood", "happy"), _HIGH)),
    ("festive", (Sense("mood", "happy"), _HIGH)),
]  # fmt: skip

_ENERGY_TERMS = [
    *_senses("energy", "high", "高能|高能量|热烈|强劲|猛烈|劲爆|火爆|狂野|重|重型|节奏感强|强节奏|炸|high energy|high-energy|energetic|heavy|hard-hitting|banger|punchy|wild|explosive|hard"),
    *_senses("energy", "low", "低能量|低调|柔和|轻柔|平缓|温柔|柔情|low energy|low-energy|low-key|lowkey|mellow|gentle|subtle|minimal|sparse|soft|tender"),
    *_senses("energy", "medium", "中等能量|medium energy|mid energy"),
]  # fmt: skip

_DYNAMICS_TERMS = [
    *_senses("dynamics", "crescendo", "渐强|逐渐增强|越来越强|越来越激烈|层层递进|递进|渐入高潮|推进|crescendo|build-up|build up|builds up|building up|building|slow build|build|builds|swelling|rising"),
    *_senses("dynamics", "diminuendo", "渐弱|逐渐减弱|越来越弱|淡出|渐隐|渐息|decrescendo|diminuendo|fade out|fade-out|fading|fades out|dying away"),
    *_senses("dynamics", "soft", "轻柔|轻声|轻轻|很轻|轻一点|轻一些|小声|柔和|弱奏|soft|softly|pianissimo|delicate|hushed"),
    *_senses("dynamics", "loud", "响亮|大声|强奏|loud|loudly|forte|fortissimo|booming"),
]  # fmt: skip

# A bass line's kind (``PromptAttributes.bass_line``): a walking bass plays a note on every
# beat (``models.aims.walking_book``). It makes the bass play in the style's own program (a
# jazz walking bass stays acoustic), unless it names the instrument ("walking upright bass").
_LINE_TERMS: list[tuple[str, tuple[Sense, ...]]] = [
    *((t, (Sense("bass_line", "walking"), Sense("stem", "bass")))
      for t in "walking bass|walking bassline|walking bass line|walking-bass|walking basslines|walking bass lines|行走贝斯|行走低音|行走的贝斯|行走的低音|走路贝斯|走动的贝斯|步行贝斯".split("|")),
    *((t, (Sense("bass_line", "walking"), Sense("instrument", "acoustic_bass")))
      for t in "walking upright bass|walking double bass|walking acoustic bass|行走低音提琴".split("|")),
]  # fmt: skip

_STEM_TERMS = [
    *_senses("stem", "drums", "鼓|架子鼓|爵士鼓|鼓组|鼓点|打击乐|打击乐器|锣鼓|锣|钹|定音鼓|手鼓|非洲鼓|康加鼓|军鼓|底鼓|踩镲|drums|drum|drum kit|drumkit|percussion|timpani|congas|bongos|cajon|hi-hat|hihat|snare|kick|beats|boom bap drums|breakbeat|breakbeats"),
    *_senses("stem", "melody", "旋律|主旋律|melody|melodies|topline|lead line"),
    *_senses("stem", "chords", "和弦|和声|chords|chord|harmony|comping"),
    *_senses("stem", "accompaniment", "伴奏|accompaniment|backing|backing track"),
]  # fmt: skip

_MARKER_TERMS = [
    *_senses("negate", "", "不要|不用|不需要|不想要|无|没有|没|不含|不带|去掉|去除|拿掉|删掉|删除|省略|省去|不加|免|别|no|not|without|w/o|minus|sans|don't|dont|never|remove|skip|exclude|excluding|nor"),
    *_senses("solo", "", "独奏|独奏曲|solo|solos|unaccompanied"),
    *_senses("lead", "", "主奏|领奏|主音|lead|leads|featured|featuring"),
    *_senses("accomp", "", "铺底|comp|backing|accompanying"),
    *_senses("only", "", "只要|只有|只留|只用|仅|仅有|纯|单纯|only|just|pure|purely|nothing but|solely"),
    *_senses("duet", "", "二重奏|二重唱|对唱|duet|duo"),
    *_senses("trio", "", "三重奏|trio"),
    *_senses("guitar_tone", "30", "失真|distorted|distortion|fuzz"),
    *_senses("guitar_tone", "29", "过载|overdrive|overdriven|crunchy"),
    *_senses("meter", "3/4", "waltz time|three-four|three four|triple time|triple meter|in three"),
    *_senses("meter", "4/4", "four-four|four four|common time"),
    *_senses("meter", "2/4", "two-four|two four|duple time|duple meter"),
    *_senses("meter", "6/8", "six-eight|six eight|compound time"),
    *_senses("mode", "major", "大调|大调式|major key|in major|major mode|major scale"),
    *_senses("mode", "minor", "小调|小调式|minor key|in minor|minor mode|minor scale"),
    *_senses("mode", "gong", "宫调|宫调式"),
    *_senses("mode", "shang", "商调|商调式"),
    *_senses("mode", "jue", "角调式"),
    *_senses("mode", "zhi", "徵调|徵调式|征调式"),
    *_senses("mode", "yu", "羽调|羽调式"),
]  # fmt: skip

# Words that carry no attribute and are not worth reporting as ignored.
FILLERS: frozenset[str] = frozenset(
    (
        "的|地|得|一|一段|一首|一曲|一个|一支|一些|一点|一种|点|首|段|个|支|种|和|与|及|跟|同|还有|以及|并且|并|而且|而|又|也|"
        "但|但是|可是|不过|然后|再|就|都|还|更|最|很|非常|特别|比较|有点|稍微|十分|太|超|极|挺|蛮|要|想要|想|我|我们|你|请|"
        "帮|帮我|给|给我|来|来一首|来一段|写|写一首|做|生成|创作|制作|编|弹|弹奏|演奏|奏|用|使用|采用|加|加上|加入|配|配上|"
        "搭配|融合|结合|混合|混搭|带|带有|带点|有|含|含有|充满|具有|是|在|了|着|过|为|以|让|像|像是|那种|这种|类似|风格|"
        "音乐|曲子|歌曲|歌|曲|乐曲|作品|片段|配乐|背景音乐|bgm|感觉|氛围|气氛|味道|感|调调|意境|情绪|情感|心情|版|版本|左右|"
        "大约|约|大概|长度|时长|长|节奏|速度|拍|拍子|小节|调|调性|音色|乐器|声音|声|音|的话|一下|吧|呢|啊|呀|哦|嗯|之|其|"
        "中|里|上|下|时候|场景|适合|用于|作为|当作|关于|主题|些许|略|略带|弹唱|合奏|重奏|四重奏|五重奏|乐队|乐团|"
        "组合|演唱|纯音乐|轻音乐|器乐|曲风|调子|风味|元素|味|范|系|式|留|保留|只留下|但要|要求|需要|一点儿|些|得|挺|又|"
        "a|an|the|with|and|or|of|for|to|in|on|at|by|from|into|over|as|is|it|its|be|some|any|this|that|"
        "these|those|very|really|so|too|quite|bit|little|kind|sort|something|song|songs|track|tracks|tune|tunes|"
        "piece|music|style|styled|feel|feeling|vibe|vibes|sound|sounds|sounding|please|make|me|give|generate|"
        "create|write|compose|i|want|like|would|love|need|type|ish|more|less|mostly|lots|lot|played|playing|"
        "plays|using|use|used|under|feat|ft|plus|background|soundtrack|instrumental|loop|loops|beat|groove|"
        "grooves|tempo|key|time|signature|bars|measures|bpm|minutes|seconds|mood|&|+|/|-|but|also|then|"
        "which|where|has|have|had|get|got|let|lets|let's|can|could|should|will|my|your|our|we|you|he|she|they|"
        "one|all|every|each|much|many|up|down|out|off|about|around|vs|versus|theme|intro|outro|verse|"
        "section|part|track's|ensemble|band|quartet|group|arrangement|arranged|mix|fusion|meets|x"
    ).split("|")
)
CONJUNCTIONS: frozenset[str] = frozenset(
    "和|与|及|或|、|跟|同|以及|还有|and|or|nor|&|+|/|also".split("|")
)
# Tokens before an instrument that make "X solo" a featured solo over the band, not a solo piece.
FEATURE_WORDS: frozenset[str] = frozenset("with|featuring|feat|ft|带|加|加上|配|配上".split("|"))
# Degree words stripped from an unknown token before a second look-up: 太快 -> 快, 慢点 -> 慢.
DEGREE_PREFIXES: tuple[str, ...] = (
    "太",
    "很",
    "超",
    "较",
    "更",
    "偏",
    "略",
    "稍",
    "好",
    "挺",
    "要",
)
DEGREE_SUFFIXES: tuple[str, ...] = ("一点儿", "一点", "一些", "点儿", "点", "些", "的")


def _instrument_terms() -> list[tuple[str, tuple[Sense, ...]]]:
    out: list[tuple[str, tuple[Sense, ...]]] = []
    for inst in INSTRUMENTS:
        for term in inst.terms:
            out.append((term, (Sense("instrument", inst.id),)))
    return out


def _han_only(text: str) -> bool:
    return bool(text) and all("\u3400" <= c <= "\u9fff" for c in text)


def build_lexicon() -> dict[str, tuple[Sense, ...]]:
    """Every term -> its senses. A term listed twice keeps the senses of its last listing
    (the special cases above, like 欢快 = upbeat tempo + happy mood, come last)."""
    table: dict[str, tuple[Sense, ...]] = {}
    for term, senses in _STYLE_TERMS:
        table[normalise_term(term)] = senses
        if _han_only(term):
            for suffix in _STYLE_SUFFIXES:
                table.setdefault(term + suffix, senses)
    for entries in (_MOOD_TERMS, _ENERGY_TERMS, _DYNAMICS_TERMS):
        for term, senses in entries:
            key = normalise_term(term)
            table[key] = table.get(key, ()) + senses if key in table else senses
            if _han_only(term) and senses[0].field == "mood" and len(term) >= 2:
                table.setdefault(term + "感", senses)
    for term, senses in _instrument_terms():
        key = normalise_term(term)
        table[key] = senses
        if _han_only(term) and len(term) >= 2 and term[-1] not in "曲乐":
            table.setdefault(term + "曲", senses)
    for entries in (_STEM_TERMS, _MARKER_TERMS, _TEMPO_TERMS, _LINE_TERMS):
        for term, senses in entries:
            table[normalise_term(term)] = senses
    return table


LEXICON: dict[str, tuple[Sense, ...]] = build_lexicon()
MAX_TERM_CHARS = max(len(t) for t in LEXICON)
for _senses_of in LEXICON.values():
    for _s in _senses_of:
        assert _s.field != "style" or _s.value in STYLE_IDS, _s
        assert _s.field != "mood" or _s.value in MOODS, _s
