//! Chinese words for the values the API keeps in English.

/// The Chinese for a stored value, or the value itself.
pub fn zh(value: &str) -> &str {
    match value {
        "male" => "男",
        "female" => "女",
        "health" => "卫生健康",
        "education" => "教育",
        "agriculture" => "农业农村",
        "other" => "其他",
        "member" => "委员",
        "standing_member" => "常委",
        "vice_chair" => "副主席",
        "chair" => "主席",
        "part_time" => "兼职",
        "attachment" => "挂职",
        "active" => "办理中",
        "completed" => "已办结",
        "create" => "发起",
        "withdraw" => "撤回",
        _ => value,
    }
}
