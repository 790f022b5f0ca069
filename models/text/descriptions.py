"""Descriptions of each style and mood, in Chinese and English, for the sentence embedding.

The embedding of a prompt's unnamed words is compared with these by cosine; a style's or a
mood's score is its best description's. Descriptions say where the music belongs and what
it evokes (places, scenes, eras, instruments), since the lexicon already knows the names.
They were written from general knowledge of each style; the phrases used to measure the
adoption thresholds (bench/parse_embedding.py) are kept out of them.
"""

from __future__ import annotations

STYLE_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "pop": ("朗朗上口的流行歌曲,电台和排行榜上的热门单曲", "catchy mainstream radio hit with a big chorus",
            "短视频和直播里的背景音乐", "background music for a vlog, an ad or a product video"),
    "ballad": ("深情的慢歌,钢琴和弦乐伴奏,唱出心里的故事", "a slow heartfelt love song with piano and strings"),
    "rock": ("失真吉他和强劲鼓点的乐队,体育场和地下室的演出", "loud electric guitars and pounding drums, a stadium band",
             "摩托车在公路上飞驰", "a garage band with amplifiers turned up"),
    "punk": ("快速粗糙的车库乐队,叛逆的青年在呐喊", "fast raw three-chord band, rebellious kids shouting"),
    "folk": ("一把木吉他讲故事,街头、校园和旅途中的弹唱", "storytelling with an acoustic guitar, campfire and the open road",
             "在路上流浪的歌手,小酒馆", "a singer with a guitar in a small coffee house"),
    "country": ("美国西部的牛仔,乡间小路、农场和皮卡车", "cowboys, dusty roads, ranches, pickup trucks and Nashville"),
    "bluegrass": ("阿巴拉契亚山区的弦乐队,快速的拨弦", "Appalachian mountain string band with fast picking and a porch"),
    "blues": ("密西西比三角洲的忧郁吉他,棉花田和小酒吧", "Mississippi delta, mournful guitar bends and a smoky juke joint"),
    "jazz": ("烟雾缭绕的深夜俱乐部,即兴演奏,萨克斯和低音提琴", "a late-night club with improvisation, upright bass and brushes",
             "老上海的歌舞厅,旗袍和留声机", "a cocktail lounge with a piano trio and clinking glasses"),
    "swing": ("三四十年代的舞厅,大乐队的铜管和跳舞的人群", "a 1930s ballroom with a big band horn section and lindy hop dancers"),
    "bebop": ("飞快复杂的爵士即兴,纽约的小俱乐部", "fast virtuosic jazz improvisation in a tiny New York club"),
    "ragtime": ("老式酒吧里的切分钢琴,默片时代", "syncopated saloon piano from the silent film era"),
    "bossa_nova": ("里约热内卢的海滩,轻柔的巴西吉他和低语般的歌声", "a Rio de Janeiro beach, soft Brazilian guitar and whispered vocals"),
    "samba": ("巴西狂欢节的街头游行和热烈的打击乐", "Brazilian carnival street parade with loud percussion"),
    "salsa": ("古巴和波多黎各的热辣舞曲,铜管和康加鼓", "hot Cuban and Puerto Rican dance music with horns and congas"),
    "tango": ("布宜诺斯艾利斯的探戈舞厅,激情的双人舞", "a Buenos Aires dance hall, a passionate couple dance with bandoneon"),
    "rumba": ("慢而性感的拉丁交谊舞", "a slow sensual Latin ballroom dance"),
    "cha_cha": ("拉丁舞比赛里的恰恰舞步,沙锤和牛铃", "a Latin ballroom competition, cha-cha steps with maracas and cowbell"),
    "reggae": ("加勒比海岛的阳光,反拍吉他和悠闲的低音", "Caribbean island sunshine with offbeat guitar and a lazy bassline"),
    "ska": ("加勒比的快节奏反拍和铜管,跳跃的人群", "fast Caribbean offbeat with a brass section and skanking crowd"),
    "funk": ("律动的贝斯和切分吉他,七十年代的灵魂舞池", "groovy bass and choppy guitar, 1970s soul dance floor"),
    "disco": ("七十年代的迪厅,镜面球和四拍底鼓", "a 1970s dance floor with a mirror ball and four-on-the-floor"),
    "rnb": ("顺滑的都市灵魂乐,深夜的情歌", "smooth urban soul, a late-night slow jam"),
    "hiphop": ("街头说唱的鼓机节拍和采样,滑板和涂鸦", "street rap over drum machine beats and samples, graffiti and sneakers"),
    "lofi": ("深夜学习时模糊的钢琴和黑胶噪音", "hazy late-night study beats with vinyl crackle", "戴着耳机写作业的夜晚"),
    "edm": ("夜店和音乐节的电子舞曲,合成器和强烈的低音", "a festival or club with synthesizers, drops and a pounding kick",
            "未来城市的霓虹灯,科幻和机器人", "neon lights, science fiction, robots and spaceships"),
    "waltz": ("维也纳舞厅里旋转的三拍子舞步", "a Viennese ballroom, couples turning in three", "旋转木马和老式舞会"),
    "march": ("军乐队的游行和检阅,整齐的步伐", "a military band parade with drums and brass, soldiers in step"),
    "polka": ("东欧和德国的乡村节日舞会,啤酒节", "an Eastern European village festival dance, a beer hall"),
    "hymn": ("教堂里的唱诗班和管风琴,祈祷和礼拜", "a church choir and pipe organ, prayer and Sunday service"),
    "celtic": ("爱尔兰和苏格兰的高地,风笛、小提琴和酒馆", "Irish and Scottish highlands, fiddles and pipes in a pub",
               "古老的石圈和迷雾中的荒原", "green hills, ancient castles and misty moors"),
    "classical": ("音乐厅里的交响乐团,贝多芬和莫扎特", "a concert hall orchestra, Mozart and Beethoven",
                  "欧洲宫廷的沙龙和歌剧院", "a European court salon and an opera house"),
    "lullaby": ("哄宝宝入睡的轻柔小曲,夜晚的摇篮", "a gentle song to rock a baby to sleep at night"),
    "guofeng": ("中国古代的山水画,古筝、琵琶和笛子", "ancient China, ink-wash landscapes, guzheng and bamboo flute",
                "亭台楼阁、小桥流水的古镇和园林", "classical Chinese gardens, pavilions and water towns",
                "古诗词里的明月和江湖侠客", "Chinese poetry, the moon, temples and a wuxia swordsman",
                "丝绸之路上的驼铃和古代壁画", "the Silk Road, camel bells and ancient cave murals",
                "皇宫里的宴会和宫女", "an emperor's palace banquet in the Forbidden City"),
}  # fmt: skip

# Requests that name no style or mood at all. When one of these is nearest, nothing is
# adopted: it keeps "给我一首歌" from being read as, say, a lullaby.
NULL_DESCRIPTIONS: tuple[str, ...] = (
    "放一首歌曲", "一段普通的音乐", "随便什么音乐都行", "some music please", "just a song",
    "a random piece of music", "文字测试", "typing random words",
)  # fmt: skip

MOOD_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "happy": ("快乐开心,阳光明媚的一天", "happy and joyful, a sunny day", "节日里人们在庆祝"),
    "sad": ("悲伤难过,眼泪和离别", "sad and sorrowful, tears and farewell", "失去亲人的痛苦"),
    "calm": ("宁静平和,安静的湖面和微风", "calm and peaceful, a still lake and a gentle breeze", "清晨的森林和鸟鸣"),
    "zen": ("禅意冥想,寺庙里的钟声和焚香", "zen meditation, temple bells and incense"),
    "epic": ("史诗般宏大壮阔,英雄的战斗", "epic and grand, heroes in battle", "千军万马和壮丽的山河"),
    "tense": ("紧张不安,悬疑和危险逼近", "tense and suspenseful, danger approaching", "逃亡和追捕"),
    "romantic": ("浪漫甜蜜,恋人之间的爱情", "romantic and tender, two lovers", "烛光晚餐和求婚"),
    "nostalgic": ("怀旧,回忆过去的旧时光", "nostalgic memories of the old days", "老照片和童年的街道"),
    "dreamy": ("梦幻飘渺,云端和星空", "dreamy and ethereal, floating among clouds and stars"),
    "dark": ("黑暗阴森,恐怖的夜晚", "dark and ominous, a haunted night", "废墟和末日"),
    "energetic": ("充满活力,热血沸腾", "energetic and pumped up, full of adrenaline", "运动和健身房"),
    "playful": ("俏皮可爱,孩子们在玩耍", "playful and cute, children at play", "动画片里的小动物"),
    "mysterious": ("神秘莫测,未知的奇幻世界", "mysterious, an unknown magical world", "古老的传说和秘密"),
    "solemn": ("庄严肃穆,神圣的仪式", "solemn and sacred, a ceremony", "纪念和悼念"),
    "warm": ("温暖治愈,家的感觉", "warm and cozy, the feeling of home", "冬天的壁炉和热茶"),
    "hopeful": ("充满希望,黎明的曙光", "hopeful and uplifting, the light of dawn", "毕业和新的开始"),
    "lonely": ("孤独寂寞,一个人的夜晚", "lonely, alone at night", "空荡荡的房间"),
    "angry": ("愤怒暴躁,激烈的冲突", "angry and aggressive, violent conflict"),
}  # fmt: skip
